/**
 * `harden`: the incident procedure's remedies, as options. sshd: move the port, key-only auth,
 * PermitRootLogin, AllowUsers (patterns like `deploy@10.0.0.0/8`), raw extra options. Firewall (table
 * or chains `firebreak_harden`): SSH only from given sources (plus the management channel), outbound
 * TCP/22 blocked except an allow-list, NOTRACK for given service ports. Kernel: raise nf_conntrack_max.
 *
 * Same safety as isolate: `sshd -t` and `sshd -T` before anything is reloaded (a refused config
 * changes nothing), then a dead-man timer, then a fresh SSH connection (and, for a port move, the new
 * port answering from the controller) before the change is confirmed. A port move keeps sshd on both
 * ports until then; the old one closes at the confirmation.
 *
 * nf_conntrack_max is per network namespace and read-only outside the machine's initial one (a
 * container, the drill lab): the step then says so and goes on, since the other remedies work and
 * failing would roll them back for a setting that cannot lock anyone out.
 */
import { z } from 'zod';
import { quote, type Action, type Host } from '../core/index.js';
import { armLine, confirmWindowMs, deadmanFunctions, disarmScript, writeRestoreScript } from './deadman.js';
import { defineStepType } from './define.js';
import { iptApply, nftTable, type Hook, type Rule } from './firewall-rules.js';
import { detectBackend, detectManagement, preamble, restoreFunctions, saveRules } from './firewall-state.js';
import { DROPIN_NAME, sshdFunctions } from './harden-sshd.js';
import { hardenVerify } from './harden-verify.js';
import {
  backendSchema,
  cidrFamily,
  cidrSchema,
  deadmanSchema,
  managementSchema,
  portSchema,
  stateDir,
  stateIdSchema,
} from './net-params.js';

export const HARDEN_NAME = 'firebreak_harden';
const HARDEN_HOOKS: readonly Hook[] = ['input', 'output', 'raw-prerouting', 'raw-output'];
const SYSCTL_FILE = '/etc/sysctl.d/90-firebreak-harden.conf';

const schema = z
  .strictObject({
    ssh_port: portSchema
      .optional()
      .describe('Move sshd to this port (the old one closes once a fresh connection and the new port are confirmed)'),
    keep_old_port: z.boolean().default(false).describe('Keep listening on the old port(s) too'),
    check_new_port: z
      .boolean()
      .default(true)
      .describe('Check from the controller that the new port answers (turn off behind a jump host)'),
    key_only: z
      .boolean()
      .optional()
      .describe('Key-only auth: PasswordAuthentication no, KbdInteractiveAuthentication no'),
    permit_root_login: z.enum(['no', 'prohibit-password']).optional(),
    allow_users: z
      .array(
        z
          .string()
          .regex(/^!?[A-Za-z0-9._*?-]+(@[A-Za-z0-9._*?:/!-]+)?$/, 'an AllowUsers pattern: user or user@host/CIDR'),
      )
      .min(1)
      .optional(),
    sshd_options: z
      .record(
        z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'an sshd_config keyword'),
        z
          .union([z.string(), z.number()])
          .transform(String)
          .pipe(z.string().regex(/^[^\n\r]+$/, 'one line')),
      )
      .default({})
      .describe('More sshd_config settings, e.g. {MaxAuthTries: 3}'),
    sshd_config: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]+$/, 'an absolute path')
      .default('/etc/ssh/sshd_config'),
    ssh_sources: z
      .array(cidrSchema)
      .min(1)
      .optional()
      .describe('Firewall: only these (and the management channel) reach the SSH port(s)'),
    block_outbound_ssh: z
      .union([z.boolean(), z.strictObject({ allow: z.array(cidrSchema).default([]) })])
      .optional()
      .describe('Firewall: drop outbound TCP/22 except to `allow`'),
    conntrack_max: z
      .number()
      .int()
      .min(1024)
      .max(2 ** 31 - 1)
      .optional()
      .describe('Raise net.netfilter.nf_conntrack_max to this (never lowers it)'),
    notrack: z
      .array(z.strictObject({ port: portSchema, proto: z.enum(['tcp', 'udp']).default('tcp') }))
      .default([])
      .describe('Service ports whose traffic skips conntrack (raw NOTRACK)'),
    management: managementSchema,
    deadman_seconds: deadmanSchema,
    backend: backendSchema,
    ipv6: z.boolean().default(true),
    id: stateIdSchema,
  })
  .superRefine((v, ctx) => {
    const any =
      v.ssh_port ??
      v.key_only ??
      v.permit_root_login ??
      v.allow_users ??
      v.ssh_sources ??
      v.block_outbound_ssh ??
      v.conntrack_max;
    if (any === undefined && !v.notrack.length && !Object.keys(v.sshd_options).length)
      ctx.addIssue({
        code: 'custom',
        message:
          'harden needs at least one remedy (ssh_port, key_only, permit_root_login, allow_users, sshd_options, ssh_sources, block_outbound_ssh, conntrack_max, notrack)',
      });
  });

type Params = z.output<typeof schema>;

const usesSshd = (p: Params) =>
  p.ssh_port !== undefined ||
  p.key_only !== undefined ||
  p.permit_root_login !== undefined ||
  p.allow_users !== undefined ||
  Object.keys(p.sshd_options).length > 0;

export function hardenRules(p: Params): Rule[] {
  const v6ok = (c: string) => p.ipv6 || cidrFamily(c) !== 6;
  const fam = p.ipv6 ? {} : { family: 4 as const };
  const ssh = { ref: 'FB_SSH_PORTS' };
  const rules: Rule[] = [];
  if (p.ssh_sources) {
    rules.push(
      { hook: 'input', lo: true, verdict: 'allow' },
      { hook: 'input', src: { ref: 'FB_M' }, proto: 'tcp', dport: ssh, verdict: 'allow' },
      { hook: 'input', src: { ref: 'FB_PEER' }, proto: 'tcp', dport: ssh, verdict: 'allow' },
      ...p.ssh_sources
        .filter(v6ok)
        .map((c): Rule => ({ hook: 'input', src: c, proto: 'tcp', dport: ssh, verdict: 'allow' })),
      { hook: 'input', ...fam, proto: 'tcp', dport: ssh, verdict: 'drop' },
    );
  }
  if (p.block_outbound_ssh) {
    const allow = typeof p.block_outbound_ssh === 'object' ? p.block_outbound_ssh.allow : [];
    rules.push(
      { hook: 'output', lo: true, verdict: 'allow' },
      ...allow.filter(v6ok).map((c): Rule => ({ hook: 'output', dst: c, proto: 'tcp', dport: 22, verdict: 'allow' })),
      { hook: 'output', ...fam, proto: 'tcp', dport: 22, verdict: 'drop' },
    );
  }
  for (const n of p.notrack) {
    rules.push(
      { hook: 'raw-prerouting', proto: n.proto, dport: n.port, verdict: 'notrack' },
      { hook: 'raw-output', proto: n.proto, sport: n.port, verdict: 'notrack' },
    );
  }
  return rules;
}

/** Shared by every harden script: where sshd and its config are, and the drop-in (empty: managed block). */
function sshdVars(p: Params): string[] {
  return [
    `cfg=${quote(p.sshd_config)}`,
    'fb_sshd=$(command -v sshd 2>/dev/null || echo /usr/sbin/sshd)',
    'fb_dropin=$(cat "$d/dropin" 2>/dev/null)',
    'fb_move=$(cat "$d/move" 2>/dev/null)',
  ];
}

function restoreBody(p: Params, firewall: boolean): string[] {
  return [
    ...sshdVars(p),
    ...sshdFunctions(p),
    ...(firewall ? restoreFunctions(HARDEN_NAME, HARDEN_HOOKS) : []),
    'fb_rc=0',
    'if [ -e "$d/sshd_config.bak" ]; then fb_put_back_sshd && fb_reload_sshd && echo "sshd: configuration put back and reloaded" || fb_rc=1; fi',
    ...(firewall ? ['fb_fw_restore exact || fb_rc=1'] : []),
    'if [ -e "$d/conntrack_max.before" ]; then',
    '  cat "$d/conntrack_max.before" > /proc/sys/net/netfilter/nf_conntrack_max || fb_rc=1',
    `  if [ -e "$d/sysctl.bak" ]; then cp -p "$d/sysctl.bak" ${SYSCTL_FILE}; else rm -f ${SYSCTL_FILE}; fi`,
    'fi',
    'rm -f "$d/active"',
    'exit $fb_rc',
  ];
}

function conntrackMax(n: number): string[] {
  const f = '/proc/sys/net/netfilter/nf_conntrack_max';
  return [
    `[ -e ${f} ] || modprobe nf_conntrack 2>/dev/null`,
    `if [ ! -e ${f} ]; then echo "WARNING: nf_conntrack_max: no connection tracking here (module not loaded): not raised"`,
    `else fb_old=$(cat ${f})`,
    `  if [ "$fb_old" -ge ${n} ]; then echo "nf_conntrack_max is $fb_old already (>= ${n}): unchanged"`,
    `  elif echo "$fb_old" > "$d/conntrack_max.before" && echo ${n} > ${f} 2>/dev/null; then`,
    `    [ -e ${SYSCTL_FILE} ] && cp -p ${SYSCTL_FILE} "$d/sysctl.bak"; echo "net.netfilter.nf_conntrack_max = ${n}" > ${SYSCTL_FILE}; chmod 644 ${SYSCTL_FILE}`,
    `    echo "nf_conntrack_max raised: $fb_old -> ${n} (kept across reboots in ${SYSCTL_FILE})"`,
    `  else rm -f "$d/conntrack_max.before"; echo "WARNING: nf_conntrack_max could not be raised (read-only here: in a container or network namespace it belongs to the machine); the other remedies are applied"; fi`,
    'fi',
  ];
}

function applyScript(p: Params, dir: string): string {
  const sshd = usesSshd(p);
  const rules = hardenRules(p);
  const firewall = rules.length > 0;
  return [
    ...preamble('harden', dir, 'check, then apply under a dead-man timer'),
    ...sshdVars(p).slice(0, 2),
    'if [ -e "$d/active" ] && [ ! -d "$d/decided" ]; then fb_fail "an earlier harden (same id) was never confirmed: its dead-man timer will put things back; wait for it"; fi',
    'command -v setsid >/dev/null 2>&1 || command -v systemd-run >/dev/null 2>&1 || fb_fail "neither setsid nor systemd-run: cannot arm the dead-man timer"',
    ...(sshd
      ? [
          '[ -x "$fb_sshd" ] && [ -f "$cfg" ] || fb_fail "no sshd or no $cfg"',
          ...(p.permit_root_login === 'no'
            ? [
                '[ "${SUDO_USER:-$(id -un)}" = root ] && fb_fail "PermitRootLogin no would lock out this session (logged in as root): connect as another user with become: true; nothing was changed"',
              ]
            : []),
          'fb_old=$("$fb_sshd" -T -f "$cfg" 2>&1) || fb_fail "the current sshd configuration does not pass sshd -T, fix it first: $(printf %s "$fb_old" | tail -n 3)"',
          'fb_old=$(printf "%s\\n" "$fb_old" | awk \'$1 == "port" {print $2}\' | sort -un | tr "\\n" " ")',
          ...(p.ssh_port !== undefined
            ? [
                // Moving: sshd listens on old and new ports until the change is confirmed, then (unless kept) on the new one only.
                `fb_new=${p.ssh_port}; fb_move=; fb_now=; fb_final=; case " $fb_old" in *" $fb_new "*) echo "sshd listens on port $fb_new already";; *) fb_move=1;; esac`,
                '[ -n "$fb_move" ] && [ -d /run/systemd/system ] && systemctl is-active --quiet ssh.socket 2>/dev/null && fb_fail "ssh is socket-activated (ssh.socket): its port is ListenStream there, not sshd_config; nothing was changed"',
                `[ -n "$fb_move" ] && { fb_now="$fb_old $fb_new"; fb_final=${p.keep_old_port ? '' : '$fb_new'}; }`,
              ]
            : ['fb_move=; fb_now=; fb_final=']),
        ]
      : []),
    ...(firewall
      ? [...detectBackend(p.backend, p.ipv6), ...(p.ssh_sources ? detectManagement(p.management) : [])]
      : []),
    'rm -rf "$d"; mkdir -p "$d" || fb_fail "cannot create $d"; chmod 700 "$d"',
    ...(sshd
      ? [
          'cp -p "$cfg" "$d/sshd_config.bak" || fb_fail "cannot back up $cfg"',
          `fb_dropin=; grep -Eiq '^[[:space:]]*Include[[:space:]].*sshd_config\\.d/\\*\\.conf' "$cfg" && [ -d "\${cfg%/*}/sshd_config.d" ] && fb_dropin="\${cfg%/*}/sshd_config.d/${DROPIN_NAME}"`,
          'echo "$fb_dropin" > "$d/dropin"; echo "$fb_move" > "$d/move"; echo "$fb_final" > "$d/ports.final"',
          '[ -n "$fb_dropin" ] && [ -e "$fb_dropin" ] && cp -p "$fb_dropin" "$d/dropin.bak"',
          ...sshdFunctions(p),
          'fb_why=$(fb_write_sshd "$fb_now" && fb_check_sshd "$fb_now") || { fb_put_back_sshd; fb_fail "$fb_why; nothing was changed"; }',
          'echo "sshd: new configuration passes sshd -t and sshd -T (${fb_dropin:-managed block in $cfg})"',
        ]
      : []),
    ...(firewall
      ? ['echo "$fb_backend" > "$d/backend"', ...saveRules(), ...restoreFunctions(HARDEN_NAME, HARDEN_HOOKS)]
      : []),
    ...writeRestoreScript(dir, restoreBody(p, firewall)),
    ...deadmanFunctions(`firebreak-deadman-harden-${p.id}`),
    ...armLine(p.deadman_seconds, 'hardening'),
    'touch "$d/active"',
    ...(sshd
      ? [
          'fb_reload_sshd || fb_rollback_now "reloading sshd failed"',
          'fb_wait_listen "${fb_now:-$fb_old}" || fb_rollback_now "sshd did not come back"',
          'echo "sshd: reloaded, listening on ${fb_now:-$fb_old}"',
        ]
      : []),
    ...(firewall
      ? [
          ...(p.ssh_sources
            ? [
                // Every port sshd listens on (now and after the move) and the management port.
                `[ -n "\${fb_old:-}" ] || fb_old=$("$fb_sshd" -T -f "$cfg" 2>/dev/null | awk '$1 == "port" {print $2}')`,
                'FB_SSH_PORTS=$(for fb_port in $fb_old $fb_now $FB_P; do echo "$fb_port"; done | sort -un | tr "\\n" , | sed "s/,$//")',
              ]
            : []),
          ...['FB_M', 'FB_PEER'].map(
            (v) =>
              `fb_ipt_${v}() { case "$${v}" in *:*) ${p.ipv6 ? 'ip6tables "$@"' : 'return 0'};; *) iptables "$@";; esac; }`,
          ),
          'if [ "$fb_backend" = nft ]; then',
          '  cat > "$d/rules.nft" <<FB_RULES_EOF',
          nftTable(HARDEN_NAME, rules),
          'FB_RULES_EOF',
          '  nft -f "$d/rules.nft" || fb_rollback_now "nft refused the rules"',
          'else',
          '  fb_fw_remove',
          '  ( set -e',
          ...iptApply(HARDEN_NAME, rules, p.ipv6).map((l) => `    ${l}`),
          '  ) || fb_rollback_now "iptables refused the rules"',
          'fi',
          `echo "firewall: ${HARDEN_NAME} applied (${[p.ssh_sources && 'SSH sources', p.block_outbound_ssh && 'outbound TCP/22 blocked', p.notrack.length && 'NOTRACK'].filter(Boolean).join(', ')})"`,
        ]
      : []),
    ...(p.conntrack_max !== undefined ? conntrackMax(p.conntrack_max) : []),
  ].join('\n');
}

/** Disarm; then close the old SSH port (if moving), and show what is in force. */
function commitScript(p: Params, dir: string): string {
  const sshd = usesSshd(p);
  return [
    ...preamble('harden', dir, 'a fresh connection got in: disarm, close the old SSH port'),
    ...sshdVars(p),
    ...disarmScript('hardening'),
    ...(sshd
      ? [
          ...sshdFunctions(p),
          'fb_final=$(cat "$d/ports.final" 2>/dev/null)',
          'if [ -n "$fb_move" ] && [ -n "$fb_final" ]; then',
          '  fb_why=$(fb_write_sshd "$fb_final" && fb_check_sshd "$fb_final" && fb_reload_sshd && fb_wait_listen "$fb_final" 2>&1) ||',
          '    { sh "$d/restore.sh" >&2; fb_fail "closing the old SSH port failed ($fb_why): everything was put back as before"; }',
          '  echo "sshd: listening on $fb_final only"',
          'fi',
          `"$fb_sshd" -T -f "$cfg" | grep -Ei '^(port|passwordauthentication|kbdinteractiveauthentication|permitrootlogin|allowusers) '`,
        ]
      : []),
    `if [ -f "$d/backend" ]; then if [ "$(cat "$d/backend")" = nft ]; then nft list table inet ${HARDEN_NAME}; else iptables-save | grep -E -- '(^[*]|${HARDEN_NAME})'; fi; fi`,
  ].join('\n');
}

/** From the controller: the new port answers with an SSH banner (a firewall in between would not show on the host). */
function newPortCheck(host: Host, port: number, seconds: number): Action {
  const v = host.vars;
  const addr = String(v.ansible_host ?? v.ansible_ssh_host ?? host.name);
  const probe = `timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1" && head -c 4 <&3 | grep -q SSH-' ${quote(addr)} ${port} 2>/dev/null`;
  return {
    kind: 'local',
    command: `i=0; while [ $i -lt 10 ]; do if ${probe}; then echo ${quote(`harden: ${addr}:${port} answers with an SSH banner from the controller`)}; exit 0; fi; i=$((i+1)); sleep 1; done; echo ${quote(`harden: the new SSH port ${addr}:${port} does not answer from the controller: the host puts its previous state back within ${seconds} s`)} >&2; exit 1`,
  };
}

export const harden = defineStepType({
  type: 'harden',
  description:
    'Harden SSH (port, key-only, root login, AllowUsers), firewall (SSH sources, outbound :22, NOTRACK) and nf_conntrack_max, with sshd -t and a dead-man rollback',
  schema,
  shellFields: [],
  changes: true,
  verify: (p) =>
    hardenVerify({
      ...p,
      dir: stateDir('harden', p.id),
      sshdConfig: p.sshd_config,
      deadmanSeconds: p.deadman_seconds,
      ...(p.conntrack_max !== undefined ? { conntrackMax: p.conntrack_max } : {}),
      sshd: usesSshd(p),
      firewall: hardenRules(p).length > 0,
      name: HARDEN_NAME,
    }),
  plan(p, ctx): Action[] {
    const dir = stateDir('harden', p.id);
    return [
      { kind: 'exec', command: applyScript(p, dir) },
      {
        kind: 'fresh-connection',
        onFailure: `the hardening is not confirmed: the host puts its previous sshd config and rules back by itself within ${p.deadman_seconds} s (dead-man timer)`,
        withinMs: confirmWindowMs(p.deadman_seconds),
      },
      ...(p.ssh_port !== undefined && p.check_new_port ? [newPortCheck(ctx.host, p.ssh_port, p.deadman_seconds)] : []),
      { kind: 'exec', command: commitScript(p, dir) },
    ];
  },
});
