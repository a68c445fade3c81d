/**
 * The lab network: one bridge on the machine holding the controller's address, one veth pair per
 * host (the host's end is its eth0). No default route inside hosts: lab traffic can reach the lab
 * and nothing else, even if the machine forwards packets.
 */
import { EnvironmentError } from '../core/index.js';
import { LAB_NETWORKS, labNetwork, type LabNetwork } from './addressing.js';
import { sys, sysOk } from './sys.js';

async function bridgesInUse(): Promise<Set<string>> {
  const out = await sysOk('ip', ['-j', 'link', 'show', 'type', 'bridge']);
  return new Set((JSON.parse(out || '[]') as { ifname: string }[]).map((l) => l.ifname));
}

/** Create the bridge of the first free lab network and give the controller its address. */
export async function createLabNetwork(): Promise<LabNetwork> {
  const used = await bridgesInUse();
  for (let index = 0; index < LAB_NETWORKS; index++) {
    const net = labNetwork(index);
    if (used.has(net.bridge)) continue;
    const add = await sys('ip', ['link', 'add', net.bridge, 'type', 'bridge']);
    if (add.code !== 0) {
      if (/exists/i.test(add.stderr)) continue; // another lab took it a moment ago
      throw new EnvironmentError(`cannot create the lab bridge ${net.bridge}: ${add.stderr.trim()}`);
    }
    await sysOk('ip', ['-batch', '-'], {
      input: `addr add ${net.controller}/${net.prefix} dev ${net.bridge}\nlink set ${net.bridge} up\n`,
    });
    return net;
  }
  throw new EnvironmentError(
    `all ${LAB_NETWORKS} lab networks (198.18.0.0/15) are in use: \`firebreak lab down\` an old lab first`,
  );
}

export async function deleteLabNetwork(bridge: string): Promise<void> {
  const r = await sys('ip', ['link', 'del', bridge]);
  if (r.code !== 0 && !/cannot find|does not exist/i.test(r.stderr))
    throw new Error(`ip link del ${bridge}: ${r.stderr.trim()}`);
}

export interface Attachment {
  veth: string;
  mac: string;
  /** Any PID inside the host's network namespace. */
  pid: number;
  address: string;
}

/** Plug hosts into the bridge: one `ip -batch` on the machine, one inside each host. */
export async function attachHosts(net: LabNetwork, hosts: Attachment[]): Promise<void> {
  if (!hosts.length) return;
  const outside = hosts
    .map(
      (h) =>
        `link add ${h.veth} type veth peer name eth0 address ${h.mac} netns ${h.pid}\nlink set ${h.veth} master ${net.bridge} up\n`,
    )
    .join('');
  await sysOk('ip', ['-batch', '-'], { input: outside });
  await Promise.all(
    hosts.map((h) =>
      sysOk('nsenter', ['-t', String(h.pid), '-n', 'ip', '-batch', '-'], {
        input: `link set lo up\naddr add ${h.address}/${net.prefix} dev eth0\nlink set eth0 up\n`,
      }),
    ),
  );
}

/** Remove a host's machine-side veth if it is still there. */
export async function detachHost(veth: string): Promise<void> {
  await sys('ip', ['link', 'del', veth]);
}
