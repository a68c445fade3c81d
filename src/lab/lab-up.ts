/**
 * `lab up`: N namespaced hosts on a bridge, each with its own sshd and layers, plus the attacker
 * namespace scenarios attack from; then the inventory, known_hosts and lab.json; then scenarios.
 * A failure anywhere tears down what was made.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pLimit from 'p-limit';
import { InputError } from '../core/index.js';
import { hostAddress, hostMac, hostName, MAX_LAB_HOSTS, vethName } from './addressing.js';
import { ATTACKER_INIT_SCRIPT, HOST_INIT_SCRIPT } from './host-init.js';
import { attackerScriptPath, bootHost, initScriptPath, waitForSshd } from './lab-host.js';
import { teardown } from './lab-down.js';
import { writeLabFiles } from './lab-write.js';
import { alive, startNamespaceProcess } from './namespace-process.js';
import { attachHosts, createLabNetwork } from './network.js';
import { checkLabEnvironment, labNeeds } from './preflight.js';
import { loadScenario } from './scenarios/load.js';
import { plantScenarios, type ScenarioRequest } from './scenarios/plant.js';
import { statePath, writeLabState, type LabState } from './state.js';
import { sysOk } from './sys.js';

export interface LabUpOptions {
  dir: string;
  hosts: number;
  scenarios: ScenarioRequest[];
  /** Called with progress lines for humans. */
  log?: (line: string) => void;
  /** Scenarios planted later (a drill plants after the lab is up): what they need is checked now too. */
  laterScenarios?: readonly string[];
}

async function keypair(file: string, comment: string): Promise<string> {
  await sysOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

function refuseRunningLab(dir: string): void {
  if (!existsSync(statePath(dir))) return;
  const old = JSON.parse(readFileSync(statePath(dir), 'utf8')) as Partial<LabState>;
  const running = (old.hosts ?? []).some((h) => alive(h.initPid));
  throw new InputError(
    running
      ? `a lab is already running in ${dir}: \`firebreak lab down --dir ${dir}\` first, or use another --dir`
      : `${dir} holds the state of a lab that is no longer running: \`firebreak lab down --dir ${dir}\` cleans it up`,
  );
}

export async function labUp(options: LabUpOptions): Promise<LabState> {
  const log = options.log ?? (() => undefined);
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > MAX_LAB_HOSTS)
    throw new InputError(`--hosts must be 1..${MAX_LAB_HOSTS}`);
  const planted = options.scenarios.reduce((n, s) => n + s.count, 0);
  if (planted > options.hosts)
    throw new InputError(
      `the scenarios ask for ${planted} hosts but the lab has ${options.hosts}: raise --hosts or lower the counts`,
    );
  // A bad scenario file or a program a scenario needs and this machine lacks fails before anything boots.
  const scenarios = [...options.scenarios.map((s) => s.name), ...(options.laterScenarios ?? [])].map((name) =>
    loadScenario(name),
  );
  checkLabEnvironment(undefined, labNeeds(scenarios));
  const dir = resolve(options.dir);
  refuseRunningLab(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const net = await createLabNetwork();
  const state: LabState = {
    version: 1,
    id: randomBytes(4).toString('hex'),
    dir,
    createdAt: new Date().toISOString(),
    network: net,
    files: {
      inventory: join(dir, 'inventory.ini'),
      knownHosts: join(dir, 'known_hosts'),
      clientKey: join(dir, 'id_ed25519'),
      attackerKey: join(dir, 'attacker_ed25519'),
    },
    hosts: [],
  };
  writeLabState(state); // from here on, `lab down` can clean up whatever happens next
  try {
    writeFileSync(initScriptPath(dir), HOST_INIT_SCRIPT, { mode: 0o700 });
    writeFileSync(attackerScriptPath(dir), ATTACKER_INIT_SCRIPT, { mode: 0o700 });
    const clientKey = await keypair(state.files.clientKey, `firebreak-lab-${state.id}`);
    await keypair(state.files.attackerKey, 'attacker');

    state.attacker = {
      ...(await startNamespaceProcess(
        'the attacker namespace',
        ['--net', '--mount', '--pid'],
        attackerScriptPath(dir),
        [],
        join(dir, 'attacker.log'),
      )),
      veth: vethName(net, 'attacker'),
    };
    writeLabState(state);

    const identities = Array.from({ length: options.hosts }, (_, k) => ({
      name: hostName(k + 1),
      number: k + 1,
      address: hostAddress(net, k + 1),
      veth: vethName(net, k + 1),
    }));
    log(`starting ${options.hosts} lab hosts on ${net.cidr} (bridge ${net.bridge}, controller ${net.controller})`);
    const limit = pLimit(8);
    // allSettled, not all: when one boot fails, the others still in flight must land in lab.json
    // before the teardown below reads it, or their namespaces would outlive the failed `lab up`.
    const boots = await Promise.allSettled(
      identities.map((id) =>
        limit(async () => {
          const host = await bootHost(state, id, identities, clientKey);
          state.hosts.push(host);
          writeLabState(state);
        }),
      ),
    );
    const failed = boots.find((b): b is PromiseRejectedResult => b.status === 'rejected');
    if (failed) throw failed.reason;
    state.hosts.sort((a, b) => a.number - b.number);
    await attachHosts(net, [
      { veth: state.attacker.veth, mac: hostMac(net, 'attacker'), pid: state.attacker.pid, address: net.attacker },
      ...state.hosts.map((h) => ({ veth: h.veth, mac: hostMac(net, h.number), pid: h.pid, address: h.address })),
    ]);
    await Promise.all(state.hosts.map((h) => waitForSshd(h.initPid)));
    writeLabFiles(state);
    if (options.scenarios.length) {
      log(`planting scenarios: ${options.scenarios.map((s) => `${s.name}:${s.count}`).join(', ')}`);
      await plantScenarios(state, options.scenarios);
      writeLabFiles(state);
    }
    return state;
  } catch (err) {
    log(`lab up failed, removing what was made: ${(err as Error).message}`);
    await teardown(state).then(
      () => log('removed what the failed lab up had made'),
      (down: unknown) =>
        log(`could not remove all of it (${(down as Error).message}): \`firebreak lab down --dir ${dir}\` finishes it`),
    );
    throw err;
  }
}
