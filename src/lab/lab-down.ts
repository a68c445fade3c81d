/**
 * `lab down`: remove everything a lab made (its processes and with them every namespace, mount and
 * veth; the bridge; the files), in an order that also cleans a half-made lab.
 */
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { attackerScriptPath, stopHost } from './lab-host.js';
import { deleteLabNetwork, detachHost } from './network.js';
import { stopNamespaceProcess } from './namespace-process.js';
import { InputError } from '../core/index.js';
import { readLabState, statePath, withLabLock, type LabState } from './state.js';

/** The files and directories `lab up` creates inside the lab directory. */
export const LAB_FILES = [
  'hosts',
  'host-init.sh',
  'attacker-init.sh',
  'id_ed25519',
  'id_ed25519.pub',
  'attacker_ed25519',
  'attacker_ed25519.pub',
  'known_hosts',
  'inventory.ini',
  'lab.json',
  'attacker.log',
];

export async function teardown(state: LabState): Promise<void> {
  const stops = state.hosts.map((h) => stopHost(state, h));
  if (state.attacker) stops.push(stopNamespaceProcess(state.attacker, attackerScriptPath(state.dir)));
  await Promise.all(stops);
  // The kernel removes a dead namespace's veths lazily; deleting them here makes "nothing left" hold at once.
  await Promise.all(
    [...state.hosts.map((h) => h.veth), ...(state.attacker ? [state.attacker.veth] : [])].map((v) => detachHost(v)),
  );
  await deleteLabNetwork(state.network.bridge);
  for (const f of LAB_FILES) rmSync(join(state.dir, f), { recursive: true, force: true });
  if (existsSync(state.dir) && readdirSync(state.dir).every((f) => f === 'lab.lock')) {
    rmSync(join(state.dir, 'lab.lock'), { force: true });
    rmdirSync(state.dir);
  }
}

export async function labDown(dir: string): Promise<LabState> {
  if (!existsSync(statePath(dir)))
    throw new InputError(`no lab in ${dir} (no ${statePath(dir)}): nothing to take down`);
  return withLabLock(dir, async () => {
    const state = readLabState(dir);
    await teardown(state);
    return state;
  });
}
