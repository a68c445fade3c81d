/**
 * `firebreak lab …`: the drill lab. Every subcommand takes --dir (default .firebreak/lab).
 */
import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { EnvironmentError } from '../../core/index.js';
import {
  applyFault,
  checkTruth,
  CommandFailed,
  findHost,
  formatStatus,
  labDown,
  labStatus,
  labUp,
  loadScenario,
  nsenterArgs,
  parseFault,
  parseScenarioList,
  readLabState,
  resetHosts,
  scenarioNames,
} from '../../lab/index.js';
import { positiveInt } from '../common.js';

/** `$FIREBREAK_LAB_DIR` (set for a drill's controller-side hooks), else `.firebreak/lab`. */
const DEFAULT_DIR = process.env.FIREBREAK_LAB_DIR || '.firebreak/lab';

/** A failed system command during a lab operation is the machine's problem, not a firebreak bug. */
async function labAction(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof CommandFailed) throw new EnvironmentError(err.message, { cause: err });
    throw err;
  }
}

const say = (line: string): void => void process.stderr.write(`${line}\n`);

export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description(
      'disposable namespaced lab hosts with planted compromises, for drills and tests (needs root); --dir defaults to $FIREBREAK_LAB_DIR or .firebreak/lab',
    );

  lab
    .command('up')
    .description('start N lab hosts (own network, mounts, PIDs, hostname, firewall, sshd) and plant scenarios')
    .option('--hosts <n>', 'number of hosts', positiveInt('--hosts'), 5)
    .option('--scenario <list>', 'NAME[:COUNT],... planted on the first hosts in order (see `lab scenarios`)', '')
    .option('--dir <dir>', 'lab directory (inventory, keys, state)', DEFAULT_DIR)
    .action((opts: { hosts: number; scenario: string; dir: string }) =>
      labAction(async () => {
        const started = Date.now();
        const state = await labUp({
          dir: opts.dir,
          hosts: opts.hosts,
          scenarios: parseScenarioList(opts.scenario),
          log: say,
        });
        say(`lab ${state.id} up: ${state.hosts.length} hosts in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        process.stdout.write(`${state.files.inventory}\n`);
        say(`next: firebreak run runbooks/triage.yaml -i ${state.files.inventory}`);
      }),
    );

  lab
    .command('status')
    .description('hosts, addresses, scenarios, faults and memory')
    .option('--dir <dir>', 'lab directory', DEFAULT_DIR)
    .option('--json', 'machine-readable')
    .action((opts: { dir: string; json?: boolean }) =>
      labAction(async () => {
        const state = readLabState(opts.dir);
        const hosts = labStatus(state);
        process.stdout.write(
          opts.json
            ? `${JSON.stringify({ id: state.id, network: state.network, files: state.files, hosts }, null, 2)}\n`
            : `${formatStatus(state, hosts)}\n`,
        );
      }),
    );

  lab
    .command('exec')
    .description('run a command inside a lab host, as root (for debugging): lab exec n003 -- ps aux')
    .argument('<host>')
    .argument('<command...>')
    .option('--dir <dir>', 'lab directory', DEFAULT_DIR)
    .action((name: string, command: string[], opts: { dir: string }) =>
      labAction(async () => {
        const host = findHost(readLabState(opts.dir), name);
        const argv = command.length === 1 ? ['bash', '-c', command[0] as string] : command;
        const r = spawnSync('nsenter', nsenterArgs(host.initPid, argv), { stdio: 'inherit' });
        process.exitCode = r.status ?? 1;
      }),
    );

  lab
    .command('reset')
    .description('reinstall hosts: fresh layers, a new host key (known_hosts updated), sshd restarted')
    .argument('<hosts...>')
    .option('--dir <dir>', 'lab directory', DEFAULT_DIR)
    .action((names: string[], opts: { dir: string }) =>
      labAction(async () => {
        for (const h of await resetHosts(opts.dir, names))
          say(`${h.name}: reinstalled (generation ${h.generation}), new host key ${h.hostKey.slice(0, 40)}…`);
      }),
    );

  lab
    .command('fault')
    .description('down | up (stop/start sshd), slow MS, flaky PCT (link delay/loss), heal (undo all)')
    .argument('<host>')
    .argument('<fault...>')
    .option('--dir <dir>', 'lab directory', DEFAULT_DIR)
    .action((name: string, fault: string[], opts: { dir: string }) =>
      labAction(async () => {
        const host = await applyFault(opts.dir, name, parseFault(fault));
        say(`${host.name}: faults now ${JSON.stringify(host.faults)}`);
      }),
    );

  lab
    .command('truth')
    .description("show planted scenarios' ground truth; --check runs each indicator's check inside the host")
    .argument('[hosts...]')
    .option('--dir <dir>', 'lab directory', DEFAULT_DIR)
    .option('--check', 'verify each indicator inside its host')
    .option('--json', 'machine-readable')
    .action((names: string[], opts: { dir: string; check?: boolean; json?: boolean }) =>
      labAction(async () => {
        const state = readLabState(opts.dir);
        const hosts = names.length
          ? names.map((n) => findHost(state, n))
          : state.hosts.filter((h) => h.scenarios.length);
        const out = [];
        for (const h of hosts) {
          for (const planted of h.scenarios) {
            const checks = opts.check ? await checkTruth(h, planted) : [];
            out.push({
              host: h.name,
              scenario: planted.scenario,
              facts: planted.facts,
              indicators: planted.indicators.map((i) => ({
                ...i,
                present: checks.find((c) => c.id === i.id)?.present,
              })),
            });
          }
        }
        if (opts.json) return void process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        for (const s of out) {
          process.stdout.write(`${s.host}  ${s.scenario}\n`);
          for (const i of s.indicators)
            process.stdout.write(
              `  ${i.present === undefined ? '-' : i.present ? '✔' : '✖'} ${i.id.padEnd(22)} ${i.description}\n`,
            );
        }
        if (out.some((s) => s.indicators.some((i) => i.present === false))) process.exitCode = 3;
      }),
    );

  lab
    .command('scenarios')
    .description('list the shipped scenarios')
    .action(() => {
      for (const name of scenarioNames())
        process.stdout.write(`${name.padEnd(26)} ${loadScenario(name).description.trim().split('\n')[0]}\n`);
    });

  lab
    .command('down')
    .description('remove the lab: every namespace, mount, process, veth, the bridge and its files')
    .option('--dir <dir>', 'lab directory', DEFAULT_DIR)
    .action((opts: { dir: string }) =>
      labAction(async () => {
        const state = await labDown(opts.dir);
        say(
          `lab ${state.id} down: ${state.hosts.length} hosts, bridge ${state.network.bridge} and ${state.dir} removed`,
        );
      }),
    );
}
