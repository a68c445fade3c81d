/**
 * Host-side shell pieces around a firewall change: pick the backend, find the management channel
 * from the live SSH connection, save the rules in place, and put them back exactly. POSIX sh (dash),
 * no temp files outside the step's root-only state directory `$d`.
 */
import { quote } from '../core/index.js';
import type { Hook } from './firewall-rules.js';
import { iptRemove } from './firewall-rules.js';
import type { Management } from './net-params.js';

/**
 * The script's first lines: a comment saying what it does (failure messages quote a command's first
 * line), `$d`, a failure helper naming the step, and the root check.
 */
export function preamble(step: string, dir: string, title: string): string[] {
  return [
    `# firebreak ${step}: ${title}`,
    'umask 077',
    `d=${quote(dir)}`,
    `fb_fail() { printf '%s: %s\\n' ${quote(step)} "$*" >&2; exit 1; }`,
    '[ "$(id -u)" = 0 ] || fb_fail "needs root: run the step with become: true"',
  ];
}

/**
 * Sets `fb_backend` to nft or iptables. Auto: nft when `nft` exists and iptables is the nf_tables
 * variant or absent. With iptables-nft every iptables rule lands in nftables anyway, so our own
 * `inet` table is the robust choice there: one atomic load for IPv4+IPv6, removed as one unit, and
 * independent of the tables iptables-nft manages. A legacy-iptables host keeps iptables, which its
 * admins and tools (`iptables -L`, saved rule files) will look at.
 */
export function detectBackend(choice: 'auto' | 'nft' | 'iptables', ipv6: boolean): string[] {
  return [
    `fb_backend=${quote(choice)}`,
    'if [ "$fb_backend" = auto ]; then',
    '  if command -v nft >/dev/null 2>&1 && { ! command -v iptables >/dev/null 2>&1 || iptables -V 2>/dev/null | grep -q nf_tables; }; then fb_backend=nft',
    '  elif command -v iptables >/dev/null 2>&1; then fb_backend=iptables',
    '  else fb_fail "neither nft nor iptables is installed: cannot change the firewall"; fi',
    'fi',
    'command -v "$([ "$fb_backend" = nft ] && echo nft || echo iptables)" >/dev/null 2>&1 || fb_fail "backend $fb_backend: its command is not installed"',
    ...(ipv6
      ? [
          '[ "$fb_backend" = iptables ] && [ -e /proc/net/if_inet6 ] && ! command -v ip6tables >/dev/null 2>&1 && fb_fail "the host has IPv6 but no ip6tables: IPv6 would stay open (set ipv6: false to accept that)"',
        ]
      : []),
  ];
}

/**
 * Sets FB_M / FB_P (management address and SSH port to keep) and FB_PEER / FB_PEERPORT (the live
 * connection's peer), each address with `<var>_FAM` = ip|ip6. The live connection: `$SSH_CONNECTION`
 * when set (sudo drops it), else the first ancestor of this shell holding a TCP socket per `ss -tnp`
 * (the `sshd: user@…` session process).
 */
export function detectManagement(m: Management): string[] {
  return [
    `FB_M=${quote(m.address ?? '')}; FB_P=${quote(m.port ?? '')}; FB_PEER=; FB_PEERPORT=; fb_lport=`,
    'if [ -n "${SSH_CONNECTION:-}" ]; then',
    '  set -- $SSH_CONNECTION; FB_PEER=$1; FB_PEERPORT=$2; fb_lport=$4',
    'elif command -v ss >/dev/null 2>&1; then',
    '  fb_conns=$(ss -tnpH 2>/dev/null); fb_p=$$; fb_line=; fb_i=0',
    '  while [ -z "$fb_line" ] && [ "${fb_p:-0}" -gt 1 ] && [ "$fb_i" -lt 64 ]; do',
    '    fb_line=$(printf \'%s\\n\' "$fb_conns" | grep -m1 "pid=$fb_p,")',
    "    fb_p=$(awk '/^PPid:/ {print $2}' /proc/$fb_p/status 2>/dev/null); fb_i=$((fb_i+1))",
    '  done',
    '  if [ -n "$fb_line" ]; then',
    '    set -- $fb_line; fb_local=$4; fb_peer=$5',
    '    fb_lport=${fb_local##*:}; FB_PEERPORT=${fb_peer##*:}; FB_PEER=${fb_peer%:*}; FB_PEER=${FB_PEER#\\[}; FB_PEER=${FB_PEER%]}',
    '  fi',
    'fi',
    'FB_PEER=${FB_PEER#::ffff:}',
    '[ -n "$FB_M" ] || FB_M=$FB_PEER; [ -n "$FB_P" ] || FB_P=$fb_lport',
    'case "$FB_M" in \'\'|*[!0-9a-fA-F.:]*) fb_fail "cannot find the management address from the live connection (no \\$SSH_CONNECTION, no ss): give management.address";; esac',
    'case "$FB_P" in \'\'|*[!0-9]*) fb_fail "cannot find the SSH port from the live connection: give management.port";; esac',
    // Without a usable live peer (management given, detection failed) the peer rules fall inside the management ones.
    'case "$FB_PEER" in \'\'|*[!0-9a-fA-F.:]*) FB_PEER=;; esac',
    'case "$FB_PEERPORT" in \'\'|*[!0-9]*) FB_PEER=;; esac',
    '[ -n "$FB_PEER" ] || { FB_PEER=$FB_M; FB_PEERPORT=$FB_P; }',
    'case "$FB_M" in *:*) FB_M_FAM=ip6;; *) FB_M_FAM=ip;; esac',
    'case "$FB_PEER" in *:*) FB_PEER_FAM=ip6;; *) FB_PEER_FAM=ip;; esac',
  ];
}

/** Saved files: what `iptables-save`, `ip6tables-save` and `nft list ruleset` printed before. */
export const SAVED = [
  { file: 'before.iptables', command: 'iptables-save', label: 'iptables-save' },
  { file: 'before.ip6tables', command: 'ip6tables-save', label: 'ip6tables-save' },
  { file: 'before.nft', command: 'nft list ruleset', label: 'nft-ruleset' },
] as const;

/** Save the rules in place into `$d` (an absent tool leaves an empty file and a line in `$d/notes`). */
export function saveRules(): string[] {
  return SAVED.map(
    (s) =>
      `if command -v ${s.command.split(' ')[0]} >/dev/null 2>&1; then ${s.command} > "$d/${s.file}" 2>>"$d/notes" || fb_fail "${s.command} failed: $(tail -n 3 "$d/notes")"; ` +
      `else : > "$d/${s.file}"; echo "${s.command.split(' ')[0]}: not installed" >> "$d/notes"; fi`,
  );
}

/**
 * Shell functions `fb_fw_remove` (our table/chains only) and `fb_fw_restore MODE`: remove ours, then
 * in `exact` mode compare the rules with the saved ones (minus counters and comments; for iptables
 * also tables holding nothing, which iptables-save shows or not depending on loaded modules) and,
 * when they differ, load the saved ones back (`flush ruleset` + the saved nft ruleset as one
 * transaction; where iptables is iptables-nft, iptables-restore per family for its tables and nft for
 * the others).
 * Reads the backend from `$d/backend`.
 */
export function restoreFunctions(name: string, hooks: readonly Hook[]): string[] {
  return [
    // Tables with no rule, no user chain and only ACCEPT policies filter nothing: equal to no table.
    `fb_norm_ipt() { awk '/^#/ {next} /^\\*/ {b=$0 "\\n"; k=0; next} /^COMMIT/ {if (k) printf "%sCOMMIT\\n", b; next} {gsub(/\\[[0-9]+:[0-9]+\\]/, "[0:0]"); b=b $0 "\\n"; if ($0 ~ /^-/ || ($0 ~ /^:/ && $2 != "ACCEPT")) k=1}'; }`,
    // nft: only counters and comments differ; an empty table is still a table (exact means exact).
    `fb_norm_nft() { sed -e '/^#/d' -e 's/counter packets [0-9]* bytes [0-9]*/counter/g'; }`,
    'fb_fw_remove() {',
    '  read -r fb_b < "$d/backend" 2>/dev/null || fb_b=unknown',
    `  if command -v nft >/dev/null 2>&1 && [ "$fb_b" != iptables ]; then nft delete table inet ${name} 2>/dev/null; fi`,
    '  if [ "$fb_b" != nft ]; then',
    ...iptRemove(name, hooks).map((l) => `    ${l}`),
    '  fi',
    '  return 0',
    '}',
    // Where iptables is iptables-nft, its own tables (ip/ip6 filter, nat…) are iptables' business,
    // whatever our backend: loaded back by nft they lose what iptables needs to read them ("table is
    // incompatible"), so iptables-restore puts them back and nft the other tables.
    `fb_nft_ours() { if [ "$fb_iptnft" = 1 ]; then awk '/^table / {k = !($2 ~ /^(ip|ip6|arp|bridge)$/ && $3 ~ /^(filter|nat|mangle|raw|security|broute)$/)} k'; else cat; fi; }`,
    // Tables there now that were not before (an iptables-nft table our iptables rules created, say).
    `fb_nft_new() { nft list tables 2>/dev/null | awk 'NR == FNR { if ($0 ~ /^table /) { t = $0; sub(/ *[{].*$/, "", t); b[t] = 1 } next } !($0 in b)' "$d/before.nft" -; }`,
    'fb_fw_same() {',
    '  if [ "$1" = nft ]; then [ -z "$(fb_nft_new)" ] && [ "$(nft list ruleset 2>/dev/null | fb_nft_ours | fb_norm_nft)" = "$(fb_nft_ours < "$d/before.nft" | fb_norm_nft)" ]',
    '  else [ "$("$1-save" 2>/dev/null | fb_norm_ipt)" = "$(fb_norm_ipt < "$d/before.$1")" ]; fi',
    '}',
    'fb_fw_restore() {',
    '  fb_fw_remove',
    '  [ "$1" = exact ] || { echo "firewall: removed ' + name + ' only; other rules left as they are now"; return 0; }',
    '  fb_rc=0',
    // After iptables, nft too: iptables-nft leaves empty tables behind that only nft shows (and removes).
    '  fb_iptnft=0; iptables -V 2>/dev/null | grep -q nf_tables && fb_iptnft=1',
    '  fb_tools="iptables ip6tables"; command -v nft >/dev/null 2>&1 && fb_tools="$fb_tools nft"',
    '  for fb_t in $fb_tools; do',
    '    [ "$fb_t" = nft ] || command -v "$fb_t-save" >/dev/null 2>&1 || continue',
    '    fb_fw_same "$fb_t" && { echo "firewall: $fb_t rules are the ones saved before"; continue; }',
    '    echo "firewall: $fb_t rules changed since they were saved: loading the saved ones back"',
    // One nft transaction: the tables now (all of them, or only those not iptables-nft's) out, the saved ones in.
    '    if [ "$fb_t" = nft ]; then { if [ "$fb_iptnft" = 1 ]; then { nft list tables 2>/dev/null | fb_nft_ours; fb_nft_new; } | sort -u | sed "s/^table /delete table /"; else echo "flush ruleset"; fi; fb_nft_ours < "$d/before.nft"; } > "$d/restore.nft" && nft -f "$d/restore.nft"',
    '    else "$fb_t-restore" < "$d/before.$fb_t"; fi',
    '    fb_fw_same "$fb_t" && echo "firewall: $fb_t rules are the ones saved before" || { echo "firewall: $fb_t rules still differ from $d (saved before)" >&2; fb_rc=1; }',
    '  done',
    '  return $fb_rc',
    '}',
  ];
}

/**
 * For a verify command: `fb_ours_loaded` prints where firebreak's table or chains `name` are loaded
 * (`nft table inet NAME`, `iptables chains NAME_*`, …, comma-separated), whatever the backend
 * recorded; nothing when they are loaded nowhere. Reads only (`nft list`, `iptables-save`).
 */
export function oursLoaded(name: string): string {
  return [
    'fb_ours_loaded() {',
    `  { command -v nft >/dev/null 2>&1 && nft list table inet ${name} >/dev/null 2>&1 && echo "nft table inet ${name}"`,
    `    for fb_b in iptables ip6tables; do command -v "$fb_b-save" >/dev/null 2>&1 && "$fb_b-save" 2>/dev/null | grep -q -- '^:${name}_' && echo "$fb_b chains ${name}_*"; done`,
    "  } | tr '\\n' ',' | sed 's/,$//'",
    '}',
  ].join('\n');
}
