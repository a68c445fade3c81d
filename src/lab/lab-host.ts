/**
 * Booting one lab host: fresh layers, a namespace process running the init, and (after the caller
 * plugs it into the bridge) a wait until its sshd answers with an SSH banner.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { prepareLayers } from './host-layers.js';
import { startNamespaceProcess, stopNamespaceProcess } from './namespace-process.js';
import type { LabHostState, LabState } from './state.js';
import { hostsFileLines } from './lab-files.js';

export const HOST_NAMESPACES = ['--net', '--mount', '--uts', '--ipc', '--pid'];

export function initScriptPath(dir: string): string {
  return join(dir, 'host-init.sh');
}

export function attackerScriptPath(dir: string): string {
  return join(dir, 'attacker-init.sh');
}

export function hostDirOf(dir: string, name: string): string {
  return join(dir, 'hosts', name);
}

type HostIdentity = Pick<LabHostState, 'name' | 'number' | 'address' | 'veth'>;

/** Prepare layers and start the host's namespaces (not yet networked). */
export async function bootHost(
  state: LabState,
  host: HostIdentity,
  allHosts: HostIdentity[],
  authorizedKey: string,
): Promise<LabHostState> {
  const dir = hostDirOf(state.dir, host.name);
  const hostKey = await prepareLayers({
    layersDir: join(dir, 'layers'),
    name: host.name,
    address: host.address,
    hostsLines: hostsFileLines(state, allHosts),
    authorizedKey,
  });
  const proc = await startNamespaceProcess(
    `lab host ${host.name}`,
    HOST_NAMESPACES,
    initScriptPath(state.dir),
    [join(dir, 'layers'), host.name],
    join(dir, 'console.log'),
  );
  return { ...host, ...proc, hostKey, generation: 0, scenarios: [], faults: {} };
}

export async function stopHost(state: LabState, host: Pick<LabHostState, 'pid' | 'initPid'>): Promise<void> {
  await stopNamespaceProcess(host, initScriptPath(state.dir));
}

/**
 * Resolve once sshd listens on port 22 inside the host. Read from the host's own /proc/net/tcp, not
 * by connecting: a probe connection would leave a line in the fresh host's auth.log.
 */
export async function waitForSshd(initPid: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (listensOn22(initPid)) return;
    if (Date.now() > deadline)
      throw new Error(
        `sshd in the host with init PID ${initPid} did not listen on port 22 within ${timeoutMs / 1000} s`,
      );
    await sleep(25);
  }
}

function listensOn22(pid: number): boolean {
  try {
    // `sl local_address rem_address st`: 0016 is port 22, 0A is LISTEN.
    return readFileSync(`/proc/${pid}/net/tcp`, 'utf8')
      .split('\n')
      .some((l) => /^\s*\d+: [0-9A-F]{8}:0016 [0-9A-F]{8}:0000 0A /.test(l));
  } catch {
    return false;
  }
}
