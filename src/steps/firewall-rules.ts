/**
 * A small firewall rule model and its two renderings: an nftables table (`inet`, so one table covers
 * IPv4 and IPv6 and is loaded atomically with `nft -f` and removed as one unit), and iptables /
 * ip6tables chains of our own, jumped to from the top of the built-in chains.
 *
 * Verdicts: `allow` is `accept` in nft and `RETURN` in iptables. Neither lets anything through that
 * the host's own rules would drop (nft evaluates every base chain of a hook, and a drop anywhere is
 * final; RETURN hands the packet back to the host's rules): our tables only ever take access away.
 *
 * Values known only on the host (the management address found from the live connection) are
 * `Ref`s: shell variables set by the step's script before the rules are rendered into it.
 */
import { quote } from '../core/index.js';
import { cidrFamily } from './net-params.js';

/** A shell variable set on the host (`FB_M`); its address family is in `<name>_FAM` (`ip`/`ip6`). */
export interface Ref {
  ref: string;
}
export type Addr = string | Ref;
/** A port, or a Ref holding a comma-separated list of ports (`22,2222`). */
export type Port = number | Ref;

/** Base chains: filter hooks, and raw-priority hooks for NOTRACK. */
export type Hook = 'input' | 'output' | 'forward' | 'raw-prerouting' | 'raw-output';

export interface Rule {
  hook: Hook;
  /** Restrict to one family when no address says it. */
  family?: 4 | 6;
  /** Loopback interface (in on input/prerouting, out on output). */
  lo?: boolean;
  src?: Addr;
  dst?: Addr;
  proto?: 'tcp' | 'udp' | 'icmp';
  sport?: Port;
  dport?: Port;
  /** Only packets of connections conntrack already knows (replies). */
  established?: boolean;
  /** IPv6 neighbour discovery (without it IPv6 neighbours are lost within minutes). */
  ndp?: boolean;
  verdict: 'allow' | 'drop' | 'notrack';
}

const isRef = (v: unknown): v is Ref => typeof v === 'object' && v !== null && 'ref' in v;
const val = (v: string | number | Ref) => (isRef(v) ? `$${v.ref}` : quote(v));

/** The family of a rule: 4, 6, a Ref (known on the host), or undefined (both). */
function familyOf(r: Rule): 4 | 6 | Ref | undefined {
  const a = r.src ?? r.dst;
  if (a === undefined) return r.ndp ? 6 : r.family;
  if (isRef(a)) return a;
  const f = cidrFamily(a);
  if (f === 0) throw new Error(`not an address: ${a}`);
  return f;
}

const NDP_NFT = 'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert }';
const NDP_IPT = ['neighbour-solicitation', 'neighbour-advertisement', 'router-solicitation', 'router-advertisement'];

// --- nftables ---------------------------------------------------------------------------------

const NFT_CHAINS: Record<Hook, { name: string; head: string }> = {
  input: { name: 'input', head: 'type filter hook input priority -10; policy accept;' },
  output: { name: 'output', head: 'type filter hook output priority -10; policy accept;' },
  forward: { name: 'forward', head: 'type filter hook forward priority -10; policy accept;' },
  'raw-prerouting': { name: 'raw_prerouting', head: 'type filter hook prerouting priority raw; policy accept;' },
  'raw-output': { name: 'raw_output', head: 'type filter hook output priority raw; policy accept;' },
};

function nftPort(p: Port): string {
  return isRef(p) ? `{ $${p.ref} }` : String(p);
}

export function nftRule(r: Rule): string {
  const parts: string[] = [];
  const fam = familyOf(r);
  const kw = isRef(fam) ? `$${fam.ref}_FAM` : fam === 6 ? 'ip6' : 'ip';
  if (r.lo) parts.push(r.hook === 'output' || r.hook === 'raw-output' ? 'oif "lo"' : 'iif "lo"');
  if (r.src === undefined && r.dst === undefined && typeof fam === 'number' && !r.ndp)
    parts.push(`meta nfproto ipv${fam}`);
  if (r.src !== undefined) parts.push(`${kw} saddr ${val(r.src)}`);
  if (r.dst !== undefined) parts.push(`${kw} daddr ${val(r.dst)}`);
  if (r.proto === 'icmp') parts.push('meta l4proto { icmp, ipv6-icmp }');
  else if (r.proto && r.sport === undefined && r.dport === undefined) parts.push(`meta l4proto ${r.proto}`);
  if (r.proto && r.proto !== 'icmp' && r.sport !== undefined) parts.push(`${r.proto} sport ${nftPort(r.sport)}`);
  if (r.proto && r.proto !== 'icmp' && r.dport !== undefined) parts.push(`${r.proto} dport ${nftPort(r.dport)}`);
  if (r.established) parts.push('ct state established,related');
  if (r.ndp) parts.push(NDP_NFT);
  parts.push(r.verdict === 'allow' ? 'accept' : r.verdict);
  return parts.join(' ');
}

/**
 * An nft script that (re)creates `table inet <table>` atomically: declaring then deleting the table
 * makes the load work whether or not it existed, and the whole file is one transaction.
 */
export function nftTable(table: string, rules: readonly Rule[]): string {
  const hooks = [...new Set(rules.map((r) => r.hook))];
  const lines = [`table inet ${table}`, `delete table inet ${table}`, `table inet ${table} {`];
  for (const hook of hooks) {
    const c = NFT_CHAINS[hook];
    lines.push(
      `\tchain ${c.name} {`,
      `\t\t${c.head}`,
      ...rules.filter((r) => r.hook === hook).map((r) => `\t\t${nftRule(r)}`),
      '\t}',
    );
  }
  lines.push('}');
  return lines.join('\n');
}

// --- iptables ---------------------------------------------------------------------------------

const IPT_CHAINS: Record<Hook, { table: string; builtin: string; suffix: string }> = {
  input: { table: 'filter', builtin: 'INPUT', suffix: 'in' },
  output: { table: 'filter', builtin: 'OUTPUT', suffix: 'out' },
  forward: { table: 'filter', builtin: 'FORWARD', suffix: 'fwd' },
  'raw-prerouting': { table: 'raw', builtin: 'PREROUTING', suffix: 'pre' },
  'raw-output': { table: 'raw', builtin: 'OUTPUT', suffix: 'rout' },
};

/** `table builtin chain` triples of the hooks used, for building and for removing. */
export function iptChainSpecs(name: string, hooks: readonly Hook[]): string[] {
  return hooks.map((h) => `${IPT_CHAINS[h].table} ${IPT_CHAINS[h].builtin} ${name}_${IPT_CHAINS[h].suffix}`);
}

function iptPortArgs(flag: 'sport' | 'dport', p: Port): string {
  return isRef(p) ? `-m multiport --${flag}s "$${p.ref}"` : `--${flag} ${p}`;
}

/**
 * Command lines for one rule. Binaries: `iptables`, `ip6tables`, or for a Ref family the shell
 * function `fb_ipt_<ref>` (defined by the step's script: the right binary for that address, or
 * nothing when its family is not filtered).
 */
function iptRule(name: string, r: Rule, ipv6: boolean): string[] {
  const fam = familyOf(r);
  const bins = isRef(fam)
    ? [`fb_ipt_${fam.ref}`]
    : fam === 4
      ? ['iptables']
      : fam === 6
        ? ['ip6tables']
        : ['iptables', 'ip6tables'];
  const c = IPT_CHAINS[r.hook];
  const out: string[] = [];
  for (const bin of bins.filter((b) => ipv6 || b !== 'ip6tables')) {
    const args = [bin, '-w', '-t', c.table, '-A', `${name}_${c.suffix}`];
    if (r.lo) args.push(r.hook === 'output' || r.hook === 'raw-output' ? '-o lo' : '-i lo');
    if (r.src !== undefined) args.push('-s', isRef(r.src) ? `"$${r.src.ref}"` : quote(r.src));
    if (r.dst !== undefined) args.push('-d', isRef(r.dst) ? `"$${r.dst.ref}"` : quote(r.dst));
    if (r.proto === 'icmp') {
      if (bin.startsWith('fb_ipt_')) throw new Error('icmp rules need a static address family');
      args.push('-p', bin === 'ip6tables' ? 'ipv6-icmp' : 'icmp');
    } else if (r.proto) args.push('-p', r.proto);
    if (r.sport !== undefined) args.push(iptPortArgs('sport', r.sport));
    if (r.dport !== undefined) args.push(iptPortArgs('dport', r.dport));
    if (r.established) args.push('-m conntrack --ctstate ESTABLISHED,RELATED');
    const verdict = `-j ${r.verdict === 'allow' ? 'RETURN' : r.verdict === 'drop' ? 'DROP' : 'NOTRACK'}`;
    if (r.ndp) out.push(...NDP_IPT.map((t) => [...args, '-p ipv6-icmp --icmpv6-type', t, verdict].join(' ')));
    else out.push([...args, verdict].join(' '));
  }
  return out;
}

/**
 * Shell lines that build our chains, fill them, and only then insert the jumps at the top of the
 * built-in chains (so a failure half-way leaves nothing in the packet path). Run under `set -e`.
 */
export function iptApply(name: string, rules: readonly Rule[], ipv6: boolean): string[] {
  const hooks = [...new Set(rules.map((r) => r.hook))];
  const bins = ipv6 ? ['iptables', 'ip6tables'] : ['iptables'];
  const specs = hooks.map((h) => IPT_CHAINS[h]);
  return [
    ...bins.flatMap((b) => specs.map((c) => `${b} -w -t ${c.table} -N ${name}_${c.suffix}`)),
    ...rules.flatMap((r) => iptRule(name, r, ipv6)),
    ...bins.flatMap((b) => specs.map((c) => `${b} -w -t ${c.table} -I ${c.builtin} 1 -j ${name}_${c.suffix}`)),
  ];
}

/** Shell lines removing every jump to our chains and the chains themselves; silent when absent. */
export function iptRemove(name: string, hooks: readonly Hook[]): string[] {
  return [
    'for fb_bin in iptables ip6tables; do',
    '  command -v "$fb_bin" >/dev/null 2>&1 || continue',
    `  for fb_spec in ${iptChainSpecs(name, hooks).map(quote).join(' ')}; do`,
    '    set -- $fb_spec',
    '    fb_i=0; while [ "$fb_i" -lt 100 ] && "$fb_bin" -w -t "$1" -D "$2" -j "$3" 2>/dev/null; do fb_i=$((fb_i+1)); done',
    '    "$fb_bin" -w -t "$1" -F "$3" 2>/dev/null; "$fb_bin" -w -t "$1" -X "$3" 2>/dev/null',
    '  done',
    'done',
  ];
}
