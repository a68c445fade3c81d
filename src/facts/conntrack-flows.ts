/**
 * The kernel's tracked flows (`conntrack -L`, or /proc/net/nf_conntrack), read for the outbound SSH
 * attack: brute-force connections last a second or two, so a socket listing (`ss`) taken once
 * rarely holds more than a few; conntrack keeps each TCP flow for two minutes after it closed
 * (TIME_WAIT) and an unanswered SYN for 30 s (SYN_SENT, UNREPLIED). A flow is outbound when its
 * original source is one of the host's own addresses (`network/addresses`), so our sshd's inbound
 * flows are never counted. No process is known here: `network/ss-tanp` names it while it is alive,
 * and a flow whose live socket belongs to an SSH client (`ssh`, `scp`, `git`…) is left out here,
 * as it is reported there (low).
 */
import type { Finding } from '../core/index.js';
import { addressesFact } from './addresses.js';
import { defineFact } from './fact.js';
import { SSH_CLIENTS, ssTcpFact, type SocketRecord } from './sockets.js';
import { finding, lines, shortList, unique } from './text.js';

/**
 * The tracked flows themselves, IPv4 and IPv6: the kernel keeps a TCP flow for minutes after it ended
 * (TIME_WAIT, CLOSE), so this shows short attack connections a socket listing taken a moment later
 * misses. Without the conntrack tool, /proc/net/nf_conntrack where the kernel offers it.
 */
const CONNTRACK_TABLE_COMMAND =
  'if command -v conntrack >/dev/null 2>&1; then conntrack -L -o extended 2>&1; conntrack -L -f ipv6 -o extended 2>&1; ' +
  'elif [ -r /proc/net/nf_conntrack ]; then cat /proc/net/nf_conntrack; ' +
  'else echo "conntrack: neither the conntrack tool nor /proc/net/nf_conntrack on this host: no flow table to record"; fi';

export interface TrackedFlow {
  proto: string;
  /** TCP state (`ESTABLISHED`, `TIME_WAIT`, `SYN_SENT`…); undefined for protocols without one. */
  state?: string;
  /** Seconds until the kernel forgets the flow. */
  expires: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** No packet came back (`[UNREPLIED]`): a SYN to a closed or filtered port. */
  unreplied: boolean;
}

const PROTOS = new Set(['tcp', 'udp', 'udplite', 'sctp', 'dccp', 'icmp', 'icmpv6', 'gre']);

/** One line of `conntrack -L [-o extended]` or /proc/net/nf_conntrack; undefined for anything else. */
function parseFlow(line: string): TrackedFlow | undefined {
  const words = line.trim().split(/\s+/);
  const at = words.findIndex((w) => PROTOS.has(w));
  if (at < 0 || !/^\d+$/.test(words[at + 2] ?? '')) return undefined;
  const rest = words.slice(at + 3);
  const state = rest[0] && /^[A-Z_]+$/.test(rest[0]) ? rest[0] : undefined;
  // the first src/dst/sport/dport are the original direction; the second set is the reply
  const first = (key: string): string | undefined => rest.find((w) => w.startsWith(`${key}=`))?.slice(key.length + 1);
  const [src, dst, sport, dport] = [first('src'), first('dst'), first('sport'), first('dport')];
  if (!src || !dst || !/^\d+$/.test(sport ?? '') || !/^\d+$/.test(dport ?? '')) return undefined;
  const flow: TrackedFlow = {
    proto: words[at] as string,
    expires: Number(words[at + 2]),
    src,
    dst,
    sport: Number(sport),
    dport: Number(dport),
    unreplied: rest.includes('[UNREPLIED]'),
  };
  if (state) flow.state = state;
  return flow;
}

export function parseConntrackTable(text: string): TrackedFlow[] {
  return lines(text).flatMap((l) => parseFlow(l) ?? []);
}

/** Flows the host opened to an SSH port of another address, less those of a live SSH client's socket. */
export function outboundSshFlows(
  flows: readonly TrackedFlow[],
  local: readonly string[],
  sockets: readonly SocketRecord[] = [],
  ports: readonly number[] = [22],
): TrackedFlow[] {
  const own = new Set(local);
  const byClient = new Set(
    sockets
      .filter((s) => s.processes.length > 0 && s.processes.every((p) => SSH_CLIENTS.has(p.name)))
      .map((s) => `${s.localAddress} ${s.localPort} ${s.peerAddress} ${s.peerPort}`),
  );
  return flows.filter(
    (f) =>
      f.proto === 'tcp' &&
      ports.includes(f.dport) &&
      own.has(f.src) &&
      !own.has(f.dst) &&
      !byClient.has(`${f.src} ${f.sport} ${f.dst} ${f.dport}`),
  );
}

/** One finding for the host's tracked outbound flows to port 22: 3 targets or 5 flows make it high. */
export function conntrackSshFindings(
  host: string,
  flows: readonly TrackedFlow[],
  local: readonly string[] | undefined,
  sockets: readonly SocketRecord[] = [],
  options: { highTargets?: number; highFlows?: number } = {},
): Finding[] {
  if (!local?.length) return []; // without the host's addresses, inbound and outbound cannot be told apart
  const out = outboundSshFlows(flows, local, sockets);
  if (out.length === 0) return [];
  const targets = unique(out.map((f) => f.dst));
  const ended = out.filter((f) => f.state !== 'ESTABLISHED' && f.state !== 'SYN_SENT');
  const high = targets.length >= (options.highTargets ?? 3) || out.length >= (options.highFlows ?? 5);
  const summary =
    `${out.length} flow${out.length === 1 ? '' : 's'} to port 22 tracked by the kernel ` +
    `(${ended.length} already closed, ${out.filter((f) => f.unreplied).length} unanswered) from ` +
    `${unique(out.map((f) => f.src)).join(', ')} to ${shortList(targets)}`;
  return [
    finding(host, 'network.outbound_ssh', high ? 'high' : 'medium', summary, {
      source: 'conntrack',
      connections: out.length,
      targets,
      closed: ended.length,
      states: unique(out.map((f) => f.state ?? '-')),
      sources: unique(out.map((f) => f.src)),
    }),
  ];
}

/** The flow table, read for outbound SSH flows with the host's addresses. */
export const conntrackTableFact = defineFact<TrackedFlow[], { addresses: string[]; sockets: SocketRecord[] }>({
  label: 'network/conntrack-table',
  command: CONNTRACK_TABLE_COMMAND,
  parse: parseConntrackTable,
  needs: { addresses: addressesFact, sockets: ssTcpFact },
  findings: (host, flows, { addresses, sockets }) => conntrackSshFindings(host, flows, addresses, sockets),
});
