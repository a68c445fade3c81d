/**
 * `lab reset HOST…`: the lab's reinstall. The host's writable layers are thrown away, it boots with
 * a new host key, and known_hosts is updated: scenarios, users, logs and faults are gone.
 */
import { attachHosts, detachHost } from './network.js';
import { bootHost, stopHost, waitForSshd } from './lab-host.js';
import { writeLabFiles } from './lab-write.js';
import { findHost, readLabState, withLabLock, type LabHostState, type LabState } from './state.js';
import { readFileSync } from 'node:fs';
import { hostMac, labNetwork } from './addressing.js';

export async function resetHosts(dir: string, names: string[]): Promise<LabHostState[]> {
  return withLabLock(dir, async () => {
    const state = readLabState(dir);
    const hosts = names.map((n) => findHost(state, n));
    const clientKey = readFileSync(`${state.files.clientKey}.pub`, 'utf8').trim();
    const fresh = await Promise.all(hosts.map((h) => reinstall(state, h, clientKey)));
    writeLabFiles(state);
    return fresh;
  });
}

async function reinstall(state: LabState, old: LabHostState, clientKey: string): Promise<LabHostState> {
  await stopHost(state, old);
  await detachHost(old.veth); // the kernel removes it with the old namespace, but lazily
  const host = await bootHost(state, old, state.hosts, clientKey);
  host.generation = old.generation + 1;
  const net = labNetwork(state.network.index);
  await attachHosts(net, [{ veth: host.veth, mac: hostMac(net, host.number), pid: host.pid, address: host.address }]);
  await waitForSshd(host.initPid);
  state.hosts[state.hosts.indexOf(old)] = host;
  return host;
}
