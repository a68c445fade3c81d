/**
 * Sockets from `ss`: outbound connections to port 22 — the "your server is attacking others"
 * signal — grouped per process, and listening sockets. A connection whose local port is 22 is
 * someone coming in to our sshd, not us going out, and is left out of the outbound count.
 */
import type { Finding } from '../core/index.js';
import { defineFact } from './fact.js';
import { finding, lines, shortList, unique } from './text.js';

export interface SocketProcess {
  name: string;
  pid: number;
  fd: number;
}

export interface SocketRecord {
  /** `tcp`, `udp`, … (`tcp` when `ss -t` printed no Netid column). */
  proto: string;
  state: string;
  localAddress: string;
  localPort: number | '*';
  peerAddress: string;
  peerPort: number | '*';
  processes: SocketProcess[];
}

/** `[::ffff:1.2.3.4]:22`, `127.0.0.53%lo:53`, `*:*` → address (brackets and `%iface` removed) and port. */
export function splitEndpoint(endpoint: string): { address: string; port: number | '*' } {
  const at = endpoint.lastIndexOf(':');
  const host = at < 0 ? endpoint : endpoint.slice(0, at);
  const portText = at < 0 ? '*' : endpoint.slice(at + 1);
  const address = host
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%[^%]*$/, '')
    .replace(/^::ffff:(?=\d+\.)/, '');
  return { address, port: /^\d+$/.test(portText) ? Number(portText) : '*' };
}

const USERS = /\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)/g;
const STATES =
  /^(?:ESTAB|SYN-SENT|SYN-RECV|FIN-WAIT-1|FIN-WAIT-2|TIME-WAIT|CLOSE|CLOSE-WAIT|LAST-ACK|LISTEN|CLOSING|UNCONN|UNKNOWN)$/;

export function parseSs(text: string): SocketRecord[] {
  const out: SocketRecord[] = [];
  for (const line of lines(text)) {
    const parts = line.trim().split(/\s+/);
    let proto: string | undefined;
    if (parts.length && !STATES.test(parts[0] as string) && STATES.test(parts[1] ?? ''))
      proto = parts.shift() as string;
    if (parts.length < 5 || !STATES.test(parts[0] as string) || !/^\d+$/.test(parts[1] as string)) continue;
    proto ??= parts[0] === 'UNCONN' ? 'udp' : 'tcp'; // without a Netid column: `ss -t…` or `ss -u…`; only UDP is UNCONN
    const local = splitEndpoint(parts[3] as string);
    const peer = splitEndpoint(parts[4] as string);
    const processes = [...parts.slice(5).join(' ').matchAll(USERS)].map((m) => ({
      name: m[1] as string,
      pid: Number(m[2]),
      fd: Number(m[3]),
    }));
    out.push({
      proto,
      state: parts[0] as string,
      localAddress: local.address,
      localPort: local.port,
      peerAddress: peer.address,
      peerPort: peer.port,
      processes,
    });
  }
  return out;
}

export interface OutboundSshOptions {
  /** Distinct target addresses from one process that make it `high` (default 3). */
  highTargets?: number;
  /** Connections from one process that make it `high` (default 5). */
  highConnections?: number;
  /** Remote ports that count as SSH (default [22]). */
  ports?: number[];
}

/** Programs that open SSH connections for people and tools: one connection from them is ordinary. */
export const SSH_CLIENTS: ReadonlySet<string> = new Set([
  'ssh',
  'scp',
  'sftp',
  'autossh',
  'sshpass',
  'rsync',
  'git',
  'mosh-client',
]);

/** Outbound connections to SSH ports, per process (PID and name; `unknown` without `-p` or permission). */
export function outboundSsh(records: readonly SocketRecord[], ports: readonly number[] = [22]) {
  const groups = new Map<
    string,
    { pid?: number; name: string; connections: number; targets: string[]; states: string[] }
  >();
  for (const r of records) {
    if (r.proto !== 'tcp' || r.state === 'LISTEN' || typeof r.peerPort !== 'number' || !ports.includes(r.peerPort))
      continue;
    if (typeof r.localPort === 'number' && ports.includes(r.localPort)) continue; // inbound to our sshd
    const owners = r.processes.length ? r.processes : [undefined];
    for (const p of owners) {
      const key = p ? `${p.pid}` : 'unknown';
      const g = groups.get(key) ?? {
        name: p?.name ?? 'unknown',
        connections: 0,
        targets: [],
        states: [],
        ...(p ? { pid: p.pid } : {}),
      };
      g.connections++;
      g.targets.push(r.peerAddress);
      g.states.push(r.state);
      groups.set(key, g);
    }
  }
  return [...groups.values()].map((g) => ({ ...g, targets: unique(g.targets), states: unique(g.states) }));
}

export function outboundSshFindings(
  host: string,
  records: readonly SocketRecord[],
  options: OutboundSshOptions = {},
): Finding[] {
  const highTargets = options.highTargets ?? 3;
  const highConnections = options.highConnections ?? 5;
  return outboundSsh(records, options.ports ?? [22]).map((g) => {
    const high = g.targets.length >= highTargets || g.connections >= highConnections;
    // One connection is enough to report a process that is not an SSH client: attack connections
    // last seconds, so a snapshot often catches one. (By name: `ss -p` shows comm, not the path.)
    const client = g.pid !== undefined && SSH_CLIENTS.has(g.name);
    const who =
      g.pid !== undefined ? `${g.name} (PID ${g.pid})` : `sockets without a visible process (${g.states.join(', ')})`;
    const summary = `${g.connections} outbound connection${g.connections === 1 ? '' : 's'} to port 22 from ${who}: ${shortList(g.targets)}`;
    const detail: Finding['detail'] = {
      name: g.name,
      connections: g.connections,
      targets: g.targets,
      states: g.states,
    };
    if (g.pid !== undefined) detail.pid = g.pid;
    return finding(host, 'network.outbound_ssh', high ? 'high' : client ? 'low' : 'medium', summary, detail);
  });
}

/** One finding per listening socket (TCP LISTEN, UDP bound but unconnected); IPv4 and IPv6 kept apart. */
export function listenerFindings(host: string, records: readonly SocketRecord[]): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const r of records) {
    const listening = r.state === 'LISTEN' || (r.proto === 'udp' && r.state === 'UNCONN' && r.peerPort === '*');
    if (!listening || typeof r.localPort !== 'number') continue;
    const key = `${r.proto}/${r.localAddress}/${r.localPort}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const names = unique(r.processes.map((p) => p.name));
    const loopback = /^(?:127\.|::1$|localhost$)/.test(r.localAddress);
    const detail: Finding['detail'] = {
      proto: r.proto,
      address: r.localAddress,
      port: r.localPort,
      loopback,
      processes: names,
      pids: unique(r.processes.map((p) => p.pid)),
    };
    const by = names.length ? ` (${names.join(', ')})` : '';
    out.push(
      finding(host, 'network.listener', 'info', `${r.proto} ${r.localAddress}:${r.localPort} listening${by}`, detail),
    );
  }
  return out;
}

/**
 * TCP sockets in every state (listeners included) with their processes. One process holding 3+
 * connections to other hosts' port 22 at one instant is not an admin's ssh.
 */
export const ssTcpFact = defineFact({
  label: 'network/ss-tanp',
  command: 'LC_ALL=C ss -tanp',
  parse: parseSs,
  findings: (host, records) => outboundSshFindings(host, records, { highConnections: 3 }),
});

/** TCP and UDP sockets with a Netid column: `isolate`'s snapshot of the connections it cuts. */
export const ssTcpUdpFact = defineFact({ label: 'network/ss-tunap', command: 'LC_ALL=C ss -tunap', parse: parseSs });

/** Listening TCP and UDP sockets. */
export const listenersFact = defineFact({
  label: 'network/listeners',
  command: 'LC_ALL=C ss -tulnp',
  parse: parseSs,
  findings: listenerFindings,
});
