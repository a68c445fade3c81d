/**
 * `firebreak run`: run a runbook across the selected hosts with live progress, a run directory,
 * a recap, and an exit code that says how it went (0 ok, 2 bad input, 3 hosts failed, 4 aborted).
 */
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ExitCode,
  InputError,
  terminalSafe,
  type EventSink,
  type Host,
  type TransportChoice,
} from '../../core/index.js';
import { DEFAULT_FORKS } from '../../engine/executor.js';
import { DEFAULT_EVIDENCE_CHANNELS } from '../../engine/evidence-batch.js';
import { runRunbook, type RunbookHandle } from '../../engine/run-runbook.js';
import { loadRunbook } from '../../runbook/index.js';
import { connectionSpec } from '../../inventory/index.js';
import { compressHosts, JsonRenderer, PlainRenderer, RecapCollector, formatRecap } from '../../render/index.js';
import { hostKeyWeakening } from '../../transport/index.js';
import { askSecret, confirm } from '../prompt.js';
import { prepareBusRun, type BusRunOptions } from '../bus-run.js';
import { addNatsOptions } from '../nats-options.js';
import { addSshOptions, groupMap, loadHosts, positiveInt, resolveRunParams } from '../common.js';
import { configHostKeyPolicy, useAnsibleConfig, type AnsibleConfigOptions } from '../ansible-config.js';
import { addSelectionOptions, phaseFilter, type SelectionOptions } from './plan.js';
import {
  addIncidentOptions,
  prepareIncident,
  recordIncident,
  writeRunReports,
  type IncidentOptions,
  prewarmReports,
} from '../run-report.js';

export interface RunOptions extends SelectionOptions, IncidentOptions, AnsibleConfigOptions, BusRunOptions {
  forks: number;
  evidenceChannels: number;
  yes?: boolean;
  json?: boolean;
  knownHosts?: string;
  acceptNew?: boolean;
  trustInventoryHostKeyOptions?: boolean;
  jump?: string[];
  transport?: TransportChoice;
  user?: string;
  privateKey?: string;
  connectTimeout: number;
  keepalive?: number;
  maxHandshakes?: number;
  askBecomePass?: boolean;
  becomePassEnv: string;
  runsDir: string;
}

export function registerRun(program: Command): void {
  const cmd = addSshOptions(
    addIncidentOptions(
      addSelectionOptions(program.command('run').description('run a runbook across the inventory over SSH')),
    ),
  )
    .option('-f, --forks <n>', 'hosts worked on at once', positiveInt('--forks'), DEFAULT_FORKS)
    .option(
      '--evidence-channels <n>',
      'evidence commands run at once on each host (channels of its one SSH connection; 1 = one by one)',
      positiveInt('--evidence-channels'),
      DEFAULT_EVIDENCE_CHANNELS,
    )
    .option('-y, --yes', 'answer yes to phase confirmations (needed without a terminal)')
    .option('--json', 'print events as NDJSON on stdout instead of progress')
    .option(
      '--trust-inventory-host-key-options',
      "honour an inventory's StrictHostKeyChecking=no / UserKnownHostsFile=/dev/null (host keys then go unverified); ansible.cfg's host_key_checking=False as --accept-new",
    )
    .option(
      '--max-handshakes <n>',
      'concurrent SSH handshakes per target sshd (OpenSSH MaxStartups)',
      positiveInt('--max-handshakes'),
    )
    .option('-K, --ask-become-pass', 'ask for the sudo password before the run')
    .option('--become-pass-env <VAR>', 'environment variable holding the sudo password', 'FIREBREAK_BECOME_PASS')
    .option('--runs-dir <dir>', 'where run directories are written', 'runs')
    .option(
      '--segment-wait <seconds>',
      'with --nats: a host-phase no worker of its segment answers for this long fails',
      positiveInt('--segment-wait'),
      120,
    )
    .option(
      '--nats-ack-wait <seconds>',
      'with --nats: a worker silent this long loses its host-phase to another worker of the segment',
      positiveInt('--nats-ack-wait'),
      30,
    );
  addNatsOptions(
    cmd,
    'run the phases of hosts with firebreak_segment on workers of that segment, through this NATS server',
  ).action(async (file: string, opts: RunOptions) => {
    process.exitCode = await runCommand(file, opts);
  });
  useAnsibleConfig(cmd, ['inventory', 'user', 'privateKey', 'forks', 'connectTimeout']);
}

/** Run a runbook the way `firebreak run` does; returns the exit code. */
export async function runCommand(file: string, opts: RunOptions): Promise<number> {
  // Everything that can be wrong with the input is checked before anything connects.
  // Both files are read before either error is reported, so one fix round shows every problem.
  const [runbookResult, hostsResult] = await Promise.allSettled([loadRunbook(file), loadHosts(opts)]);
  if (
    runbookResult.status === 'rejected' &&
    hostsResult.status === 'rejected' &&
    runbookResult.reason instanceof InputError &&
    hostsResult.reason instanceof InputError
  ) {
    throw new InputError(`${runbookResult.reason.message}\n${hostsResult.reason.message}`);
  }
  if (runbookResult.status === 'rejected') throw runbookResult.reason;
  if (hostsResult.status === 'rejected') throw hostsResult.reason;
  const loaded = runbookResult.value;
  const params = resolveRunParams(loaded.runbook.params, opts);
  const { inventory, hosts, warnings } = hostsResult.value;
  const trusted = opts.trustInventoryHostKeyOptions ?? false;
  const fromConfig = configHostKeyPolicy(opts.ansibleConfig, { trusted, acceptNew: opts.acceptNew ?? false });
  for (const w of [...warnings, ...fromConfig.warnings, ...hostKeyWarnings(hosts, trusted)])
    process.stderr.write(`warning: ${terminalSafe(w)}\n`);
  if (hosts.length === 0)
    throw new InputError(
      `no hosts matched${opts.limit ? ` --limit ${opts.limit}` : ''} in ${opts.inventory?.join(', ')}`,
    );
  const phases = phaseFilter(opts.phase);
  const incident = prepareIncident(file, opts);

  // Secrets are asked before progress starts, so no prompt interleaves with parallel output.
  const becomePassword = opts.askBecomePass
    ? await askSecret('BECOME password: ')
    : process.env[opts.becomePassEnv] || undefined;

  const bus = await prepareBusRun(opts, hosts, (w) => process.stderr.write(`warning: ${terminalSafe(w)}\n`));
  const recap = new RecapCollector();
  const { sinks, finish } = await renderers(opts);
  const abort = new AbortController();
  try {
    const handle = await runRunbook({
      ...(bus.remote ? { remote: bus.remote } : {}),
      loaded,
      hosts,
      params,
      groups: groupMap(inventory),
      forks: opts.forks,
      evidenceChannels: opts.evidenceChannels,
      runsDir: opts.runsDir,
      sinks: [...sinks, recap],
      becomePassword,
      tags: { tags: opts.tags, skipTags: opts.skipTags },
      phases,
      signal: abort.signal,
      // incident.json and the notes copy go in before the first event, so the seal at the end covers them.
      prepareRunDir: (dir) => recordIncident(dir, incident, opts),
      caseRecord: {
        ...(opts.incident ? { caseId: opts.incident } : {}),
        examiner: opts.examiner ?? incident.startedBy,
      },
      confirm: (phase, message) =>
        confirm(`${message || `Run the ${phase} phase on ${hosts.length} hosts?`}`, { yes: opts.yes ?? false }),
      connection: {
        user: opts.user,
        privateKeyFile: opts.privateKey,
        jump: opts.jump,
        sshArgs: opts.ansibleConfig?.sshArgs?.value,
      },
      transport: opts.transport,
      onWarning: (w) => process.stderr.write(`warning: ${terminalSafe(w)}\n`),
      ssh: {
        knownHostsFile: opts.knownHosts,
        acceptNew: fromConfig.acceptNew,
        inventoryMayWeakenHostKeys: trusted,
        connectTimeoutMs: opts.connectTimeout * 1000,
        ...(opts.keepalive !== undefined ? { keepaliveIntervalMs: opts.keepalive * 1000 } : {}),
        maxHandshakesPerTarget: opts.maxHandshakes,
        passphrase: process.stdin.isTTY ? (key) => askSecret(`Passphrase for ${key}: `) : undefined,
      },
    });
    return await superviseRun(handle, opts, recap, finish, abort);
  } finally {
    await bus.close();
  }
}

/**
 * A started run, seen through to its end the way `run` and `resume` both do: signals (the first
 * stops the run cleanly, the second exits at once), the recap, the reports. Returns the exit code.
 */
export async function superviseRun(
  handle: RunbookHandle,
  opts: { json?: boolean },
  recap: RecapCollector,
  finish: () => Promise<void>,
  abort?: AbortController,
): Promise<number> {
  prewarmReports();
  const stopSignals = onSignals((signal, count) => {
    if (count > 2) process.exit(ExitCode.Aborted);
    if (count === 2) {
      process.stderr.write(`\nfirebreak: second ${signal}, exiting now; the journal is in ${handle.runDir}\n`);
      // A kill whose channel is not open yet would never run once we are gone: wait for those, 1 s at most.
      void Promise.race([handle.killsDispatched(), sleep(1000)]).then(() => process.exit(ExitCode.Aborted));
      return;
    }
    process.stderr.write(
      `\nfirebreak: ${signal}: stopping — killing remote commands and closing connections (again to exit at once)\n`,
    );
    abort?.abort(signal);
    handle.abort(`interrupted by ${signal}`);
  });
  try {
    const summary = await handle.done;
    await finish();
    const out = opts.json ? process.stderr : process.stdout;
    out.write(`\n${formatRecap(recap.data)}\n`);
    await writeRunReports(summary.runDir, out);
    out.write(`run directory: ${summary.runDir}\n`);
    return summary.exitCode;
  } finally {
    stopSignals();
  }
}

export async function renderers(opts: {
  json?: boolean;
}): Promise<{ sinks: EventSink[]; finish: () => Promise<void> }> {
  if (opts.json) return { sinks: [new JsonRenderer((line) => process.stdout.write(line))], finish: async () => {} };
  if (process.stdout.isTTY && !process.env.CI) {
    const { ListrProgressRenderer } = await import('../../render/listr.js');
    const listr = new ListrProgressRenderer();
    return { sinks: [listr], finish: () => listr.done() };
  }
  return { sinks: [new PlainRenderer({ write: (line) => process.stdout.write(line) })], finish: async () => {} };
}

/** Call `handler` on SIGINT/SIGTERM with how many signals came so far; returns the unsubscribe. */
export function onSignals(handler: (signal: NodeJS.Signals, count: number) => void): () => void {
  let count = 0;
  const listener = (signal: NodeJS.Signals): void => handler(signal, ++count);
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}

/**
 * One warning per kind of inventory request to weaken host-key checking, naming the hosts: ignored
 * unless --trust-inventory-host-key-options says otherwise, and loud either way.
 */
export function hostKeyWarnings(hosts: readonly Host[], trusted: boolean): string[] {
  const byWeakening = new Map<string, string[]>();
  for (const h of hosts) {
    const weak = hostKeyWeakening(connectionSpec(h).sshCommonArgs).join(', ');
    if (weak) byWeakening.set(weak, [...(byWeakening.get(weak) ?? []), h.name]);
  }
  return [...byWeakening].map(([weak, names]) =>
    trusted
      ? `${compressHosts(names)}: the inventory's ${weak} is honoured (--trust-inventory-host-key-options): host keys of these hosts are NOT verified`
      : `${compressHosts(names)}: the inventory asks for ${weak}, which would switch off host-key verification: ignored, keys are verified as usual (--trust-inventory-host-key-options honours it)`,
  );
}
