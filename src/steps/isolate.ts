/**
 * `isolate`: cut a host off the network except the responder's management channel (the live SSH
 * connection, and new connections from the management address to the SSH port) and an allow-list;
 * or, `mode: outbound-ssh`, only block outbound TCP/22 (what a provider does to a host attacking others).
 *
 * Never locks the responder out: the rules in place are saved on the host (and stored as evidence),
 * a dead-man timer that restores them is armed before the rules change, and it is disarmed only after
 * a *fresh* SSH connection got in. If that fails, the step fails and the host rolls itself back.
 * `unisolate` with the same `id` restores the saved rules exactly.
 */
import { z } from 'zod';
import { quote, type Action } from '../core/index.js';
import { addressesFact, conntrackTableFact, ssTcpFact, ssTcpUdpFact } from '../facts/index.js';
import { analyzeOutputs } from './collect-analyze.js';
import { itemAction } from './collect-sets.js';
import {
  ARMED_VERDICT,
  armLine,
  confirmWindowMs,
  deadmanFunctions,
  deadmanState,
  disarmScript,
  writeRestoreScript,
} from './deadman.js';
import { defineStepType } from './define.js';
import { iptApply, iptRemove, nftTable, type Hook, type Rule } from './firewall-rules.js';
import {
  detectBackend,
  detectManagement,
  oursLoaded,
  preamble,
  restoreFunctions,
  SAVED,
  saveRules,
} from './firewall-state.js';
import {
  allowEntrySchema,
  backendSchema,
  cidrFamily,
  deadmanSchema,
  managementSchema,
  optionalAddress,
  portSchema,
  stateDir,
  stateIdSchema,
  type AllowEntry,
} from './net-params.js';
import { VERIFY_NEEDS_ROOT, verifyHead } from './verify-shell.js';

/** Our nft table and iptables chain prefix: unisolate removes exactly these. */
export const ISOLATE_NAME = 'firebreak_isolate';
export const ISOLATE_HOOKS: readonly Hook[] = ['input', 'output', 'forward'];

const schema = z
  .strictObject({
    mode: z
      .enum(['full', 'outbound-ssh'])
      .default('full')
      .describe('full: cut everything but management and the allow-list; outbound-ssh: only drop outbound TCP/22'),
    management: managementSchema,
    allow: z
      .array(allowEntrySchema)
      .default([])
      .describe('Traffic that stays allowed, e.g. {to: 10.0.0.53, port: 53, proto: udp}'),
    deadman_seconds: deadmanSchema,
    backend: backendSchema,
    ipv6: z.boolean().default(true).describe('Isolate IPv6 too'),
    flush_conntrack: z
      .boolean()
      .default(true)
      .describe('Delete tracked connections the isolation cuts (never the management one)'),
    verify_target: optionalAddress
      .default('')
      .describe('An address the host must no longer reach (checked from the host); empty: skip'),
    verify_port: portSchema.default(22).describe('TCP port for the verify_target check'),
    snapshot: z
      .boolean()
      .default(true)
      .describe(
        'Before any rule changes, store the sockets with their processes and the conntrack flow table as evidence (what isolating destroys)',
      ),
    id: stateIdSchema,
  })
  .superRefine((v, ctx) => {
    if (v.mode !== 'outbound-ssh') return;
    v.allow.forEach((a, i) => {
      if (
        a.from !== undefined ||
        (a.port !== undefined && a.port !== 22) ||
        (a.proto !== undefined && a.proto !== 'tcp')
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['allow', i],
          message: 'mode outbound-ssh only takes {to: CIDR} entries (allowed SSH targets)',
        });
      }
    });
  });

type Params = z.output<typeof schema>;

const M = { ref: 'FB_M' };
const P = { ref: 'FB_P' };
const PEER = { ref: 'FB_PEER' };
const PEERPORT = { ref: 'FB_PEERPORT' };

/** Rules for one allow entry: the traffic itself, and its replies (only of connections it started). */
function allowRules(a: AllowEntry): Rule[] {
  const protos =
    a.proto === 'any' || (a.proto === undefined && a.port === undefined)
      ? [undefined]
      : a.proto
        ? [a.proto]
        : (['tcp', 'udp'] as const);
  const outbound = a.to !== undefined;
  const peer = (a.to ?? a.from) as string;
  return protos.flatMap((proto): Rule[] => {
    const p = proto === undefined ? {} : { proto };
    // Outbound: out to peer:port, replies in from it. Inbound: in from peer to our port, replies out.
    const there: Rule = {
      hook: outbound ? 'output' : 'input',
      ...(outbound ? { dst: peer } : { src: peer }),
      ...p,
      ...(a.port ? { dport: a.port } : {}),
      verdict: 'allow',
    };
    const back: Rule = {
      hook: outbound ? 'input' : 'output',
      ...(outbound ? { src: peer } : { dst: peer }),
      ...p,
      ...(a.port ? { sport: a.port } : {}),
      established: true,
      verdict: 'allow',
    };
    return [there, back];
  });
}

export function isolationRules(p: Params): Rule[] {
  const allow = p.allow.filter((a) => p.ipv6 || cidrFamily(a.to ?? a.from ?? '') !== 6);
  const drop = (hook: Hook, extra: Partial<Rule> = {}): Rule => ({
    hook,
    ...(p.ipv6 ? {} : { family: 4 }),
    ...extra,
    verdict: 'drop',
  });
  const mgmtOut: Rule = { hook: 'output', dst: M, proto: 'tcp', sport: P, verdict: 'allow' };
  if (p.mode === 'outbound-ssh') {
    return [
      { hook: 'output', lo: true, verdict: 'allow' },
      mgmtOut,
      ...allow.map((a): Rule => ({ hook: 'output', dst: a.to as string, proto: 'tcp', dport: 22, verdict: 'allow' })),
      drop('output', { proto: 'tcp', dport: 22 }),
    ];
  }
  const ndp = (hook: Hook): Rule[] => (p.ipv6 ? [{ hook, ndp: true, verdict: 'allow' }] : []);
  const allowed = allow.flatMap(allowRules);
  return [
    { hook: 'input', lo: true, verdict: 'allow' },
    { hook: 'input', src: PEER, proto: 'tcp', sport: PEERPORT, dport: P, verdict: 'allow' },
    { hook: 'input', src: M, proto: 'tcp', dport: P, verdict: 'allow' },
    ...ndp('input'),
    ...allowed.filter((r) => r.hook === 'input'),
    drop('input'),
    { hook: 'output', lo: true, verdict: 'allow' },
    { hook: 'output', dst: PEER, proto: 'tcp', sport: P, dport: PEERPORT, verdict: 'allow' },
    mgmtOut,
    ...ndp('output'),
    ...allowed.filter((r) => r.hook === 'output'),
    drop('output'),
    drop('forward'),
  ];
}

/** Save the rules and the management channel; refuse when already isolated. Changes nothing else. */
function prepareScript(p: Params, dir: string): string {
  return [
    ...preamble('isolate', dir, 'find the management channel, save the rules in place'),
    `if [ -e "$d/active" ]; then [ -d "$d/decided" ] && fb_fail "already isolated by firebreak (state in $d, id ${p.id}): run unisolate first"; fb_fail "an earlier isolate (id ${p.id}) was never confirmed: its dead-man timer will put the previous rules back; wait for it, or run unisolate"; fi`,
    'command -v setsid >/dev/null 2>&1 || command -v systemd-run >/dev/null 2>&1 || fb_fail "neither setsid nor systemd-run: cannot arm the dead-man timer, refusing to isolate"',
    ...detectBackend(p.backend, p.ipv6),
    ...detectManagement(p.management),
    'rm -rf "$d"; (umask 077 && mkdir -p "$d") || fb_fail "cannot create $d"; chmod 700 "$d"',
    ...saveRules(),
    'echo "$fb_backend" > "$d/backend"; echo "$FB_M $FB_P $FB_PEER $FB_PEERPORT" > "$d/management"',
    `echo "isolate: backend $fb_backend; keeping management $FB_M -> port $FB_P and the live connection from $FB_PEER:$FB_PEERPORT; rules in place saved in $d"`,
  ].join('\n');
}

/** For Ref-family iptables rules: the right binary for the address in that variable (nothing for an unfiltered IPv6). */
function iptFamilyFunctions(ipv6: boolean): string[] {
  return ['FB_M', 'FB_PEER'].map(
    (v) => `fb_ipt_${v}() { case "$${v}" in *:*) ${ipv6 ? 'ip6tables "$@"' : 'return 0'};; *) iptables "$@";; esac; }`,
  );
}

function conntrackFlush(p: Params): string[] {
  const awk = [
    '{ s = ""; t = ""; sp = ""; dp = ""',
    '  for (i = 2; i <= NF; i++) {',
    '    if (s == "" && $i ~ /^src=/) s = substr($i, 5); else if (t == "" && $i ~ /^dst=/) t = substr($i, 5)',
    '    else if (sp == "" && $i ~ /^sport=/) sp = substr($i, 7); else if (dp == "" && $i ~ /^dport=/) dp = substr($i, 7) }',
    '  if (s !~ /^[0-9a-fA-F.:]+$/ || t !~ /^[0-9a-fA-F.:]+$/ || $1 !~ /^[a-z0-9]+$/) next',
    // The management flow, in either direction (conntrack may first have seen a reply: it names that the original).
    '  if ($1 == "tcp" && ((s == m && dp == p) || (t == m && sp == p) || (s == peer && sp == pp) || (t == peer && dp == pp))) next',
    '  if (s ~ /^127\\./ || s == "::1") next',
    '  if (mode == "outbound-ssh" && !($1 == "tcp" && dp == "22" && index(locals, " " s " "))) next',
    '  print "-f " f " -p " $1 " -s " s " -d " t ((sp ~ /^[0-9]+$/ && dp ~ /^[0-9]+$/) ? " --sport " sp " --dport " dp : "") }',
  ].join('\n');
  return [
    'if command -v conntrack >/dev/null 2>&1; then',
    `  fb_locals=" $(ip -o addr show 2>/dev/null | awk '{sub(/\\/.*/, "", $4); printf "%s ", $4}')"`,
    '  : > "$d/conntrack.flush"',
    '  for fb_f in ipv4 ipv6; do',
    `    conntrack -L -f "$fb_f" 2>/dev/null | awk -v f="$fb_f" -v m="$FB_M" -v p="$FB_P" -v peer="$FB_PEER" -v pp="$FB_PEERPORT" -v mode=${quote(p.mode)} -v locals="$fb_locals" ${quote(awk)} >> "$d/conntrack.flush"`,
    '  done',
    '  fb_n=0; while read -r fb_args; do conntrack -D $fb_args >/dev/null 2>&1 && fb_n=$((fb_n+1)); done < "$d/conntrack.flush"',
    '  echo "conntrack: deleted $fb_n tracked connection(s) the isolation cuts; the management connection is kept"',
    'else',
    '  echo "conntrack: not installed: tracked connections were not flushed (rules elsewhere that accept established traffic may keep them alive)"',
    'fi',
  ];
}

/** Arm the dead-man, apply the rules, flush conntrack. Any failure rolls back at once. */
function applyScript(p: Params, dir: string): string {
  const rules = isolationRules(p);
  return [
    ...preamble('isolate', dir, 'arm the dead-man timer, apply the isolation rules'),
    '[ -f "$d/backend" ] && [ ! -e "$d/active" ] || fb_fail "no saved state in $d (the save did not run) or already active"',
    'read -r fb_backend < "$d/backend"; read -r FB_M FB_P FB_PEER FB_PEERPORT < "$d/management"',
    'case "$FB_M" in *:*) FB_M_FAM=ip6;; *) FB_M_FAM=ip;; esac; case "$FB_PEER" in *:*) FB_PEER_FAM=ip6;; *) FB_PEER_FAM=ip;; esac',
    ...iptFamilyFunctions(p.ipv6),
    ...writeRestoreScript(dir, [
      ...restoreFunctions(ISOLATE_NAME, ISOLATE_HOOKS),
      'fb_fw_restore "${1:-exact}"; fb_rc=$?',
      'rm -f "$d/active"',
      'exit $fb_rc',
    ]),
    ...deadmanFunctions(`firebreak-deadman-isolate-${p.id}`),
    ...armLine(p.deadman_seconds, 'isolation'),
    'touch "$d/active"',
    'if [ "$fb_backend" = nft ]; then',
    '  cat > "$d/rules.nft" <<FB_RULES_EOF',
    nftTable(ISOLATE_NAME, rules),
    'FB_RULES_EOF',
    '  nft -f "$d/rules.nft" || fb_rollback_now "nft refused the isolation rules"',
    'else',
    // Chains left by an isolation whose state was lost would make `-N` fail: start clean (they are in the saved rules).
    ...iptRemove(ISOLATE_NAME, ISOLATE_HOOKS).map((l) => `  ${l}`),
    '  ( set -e',
    ...iptApply(ISOLATE_NAME, rules, p.ipv6).map((l) => `    ${l}`),
    '  ) || fb_rollback_now "iptables refused the isolation rules"',
    'fi',
    `echo "isolation rules applied (${p.mode}, ${p.ipv6 ? 'IPv4 and IPv6' : 'IPv4 only'}, ${ISOLATE_NAME})"`,
    ...(p.flush_conntrack ? conntrackFlush(p) : []),
  ].join('\n');
}

/** The rules now in force, and the outbound test: a connection to a non-allowed address must fail. */
export function verifyScript(
  step: string,
  dir: string,
  name: string,
  target: string,
  port: number,
  what: string,
): string {
  return [
    ...preamble(step, dir, `verify the ${what}`),
    'read -r fb_backend < "$d/backend" 2>/dev/null || fb_backend=nft',
    `if [ "$fb_backend" = nft ]; then nft list table inet ${name}; else for fb_b in iptables ip6tables; do command -v "$fb_b" >/dev/null 2>&1 && "$fb_b-save" 2>/dev/null | grep -E -- '(^[*]|${name})'; done; fi`,
    target === ''
      ? `echo "verify: no verify_target given: the outbound test is skipped"`
      : [
          `fb_t=${quote(target)}; fb_port=${port}`,
          'if command -v bash >/dev/null 2>&1; then fb_probe() { $(command -v timeout >/dev/null 2>&1 && echo timeout 3) bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$fb_t" "$fb_port" 2>/dev/null; }',
          'elif command -v nc >/dev/null 2>&1; then fb_probe() { nc -z -w 3 "$fb_t" "$fb_port" 2>/dev/null; }',
          'else fb_fail "verify: neither bash nor nc on the host: cannot test that $fb_t:$fb_port is cut"; fi',
          `fb_probe && fb_fail "verify: the host still reaches $fb_t:$fb_port: the ${what} is NOT effective"`,
          'echo "verify: a TCP connection from the host to $fb_t:$fb_port fails, as it should"',
        ].join('\n'),
  ].join('\n');
}

/**
 * For resume: is the isolation in place? Confirmed (disarmed) with our rules loaded: done. Nothing
 * marked active and none of our rules loaded: absent — never applied, or the dead-man timer put the
 * previous rules back while the controller was gone — and the step runs again. Applied but never
 * confirmed: unknown, naming when the timer fires. Not done: only a fresh connection from the
 * controller may confirm an isolation (the step's own action, which a verify cannot take; and the
 * timer would undo it anyway). Not absent: the step refuses to run while the timer is pending.
 * Rules loaded without an isolation recorded in force, or the reverse: unknown.
 */
function verify(p: Params): string {
  return [
    ...verifyHead('isolate', 'is the isolation in place?', stateDir('isolate', p.id)),
    VERIFY_NEEDS_ROOT,
    oursLoaded(ISOLATE_NAME),
    ...deadmanState(p.deadman_seconds, 'isolation', 'run unisolate'),
    'fb_fw=$(fb_ours_loaded)',
    'case "$fb_dm" in',
    '  confirmed) [ -n "$fb_fw" ] && fb_done "isolated, $fb_dm_by; rules loaded: $fb_fw"',
    `    fb_unknown "the isolation was confirmed ($fb_dm_by) but no ${ISOLATE_NAME} rules are loaded (removed by hand? a reboot?); isolate refuses to run again over it: run unisolate, then isolate";;`,
    ARMED_VERDICT,
    '  undoing) fb_unknown "the dead-man timer or a rollback took over ($fb_dm_by) but $d still marks the isolation active: putting the previous rules back is under way or failed (see $d/deadman.log)";;',
    'esac',
    `[ -z "$fb_fw" ] || fb_unknown "rules of ours are loaded ($fb_fw) but $d records no isolation in force: check the host, then run unisolate"`,
    'case "$fb_dm_by" in fired*) fb_absent "the dead-man timer $fb_dm_by (the isolation was never confirmed): the previous rules are back, the isolation runs again";; esac',
    '[ -z "$fb_dm_by" ] || fb_absent "no isolation in force ($fb_dm_by, then undone): the isolation runs again"',
    '[ ! -f "$d/backend" ] || fb_absent "the rules in place were saved but never changed: the isolation runs again"',
    `fb_absent "not isolated: no state in $d, no ${ISOLATE_NAME} rules loaded"`,
  ].join('\n');
}

/**
 * What isolating destroys, stored before: the sockets with their processes (`ss -tunap`), the
 * host's addresses and the conntrack flow table. Analysed as the collect facts they equal
 * (`ss -tunap` reads as `ss -tanp` does), so the outbound SSH findings come from this instant.
 */
const SNAPSHOT = [
  { fact: ssTcpUdpFact, name: 'sockets', analyzedAs: ssTcpFact.label },
  { fact: addressesFact, name: 'addresses', analyzedAs: addressesFact.label },
  { fact: conntrackTableFact, name: 'conntrack-table', analyzedAs: conntrackTableFact.label },
] as const;

export const isolate = defineStepType({
  type: 'isolate',
  description:
    'Cut the host off the network (or only outbound TCP/22) but keep the management SSH channel; dead-man rollback unless a fresh connection confirms',
  schema,
  shellFields: [],
  changes: true,
  verify,
  /** The snapshot read as the facts it was taken with: the attack connections it caught are findings. */
  analyze(p, outputs, ctx) {
    const prefix = `isolate/${p.id}/`;
    const asFacts = outputs.flatMap((o) => {
      const taken = SNAPSHOT.find((s) => `${prefix}${s.name}` === o.label);
      return taken ? [{ ...o, label: taken.analyzedAs }] : [];
    });
    return analyzeOutputs(ctx.host, asFacts);
  },
  plan(p): Action[] {
    const dir = stateDir('isolate', p.id);
    // Order of volatility (RFC 3227): the live connections and the flow table are what isolating and the
    // conntrack flush destroy, so they are in the evidence store before anything on the host changes.
    const snapshot = p.snapshot
      ? SNAPSHOT.map(({ fact, name }) => itemAction({ ...fact, label: `isolate/${p.id}/${name}` }))
      : [];
    return [
      ...snapshot,
      { kind: 'exec', command: prepareScript(p, dir) },
      ...SAVED.map((s) => itemAction({ label: `isolate/${p.id}/${s.label}`, file: `${dir}/${s.file}` })),
      { kind: 'exec', command: applyScript(p, dir) },
      {
        kind: 'fresh-connection',
        onFailure: `the isolation is not confirmed: the host puts its previous rules back by itself within ${p.deadman_seconds} s (dead-man timer)`,
        withinMs: confirmWindowMs(p.deadman_seconds),
      },
      {
        kind: 'exec',
        command: [
          ...preamble('isolate', dir, 'a fresh connection got in: disarm the dead-man timer'),
          ...disarmScript('isolation'),
        ].join('\n'),
      },
      {
        kind: 'exec',
        command: verifyScript('isolate', dir, ISOLATE_NAME, p.verify_target, p.verify_port, 'isolation'),
      },
    ];
  },
});
