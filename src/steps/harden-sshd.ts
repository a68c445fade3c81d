/**
 * The sshd side of `harden`, host-side shell: write firebreak's settings (a drop-in in
 * sshd_config.d/ when the main config includes that directory, else a managed block at the top of
 * sshd_config: sshd keeps the first value it reads), validate with `sshd -t`, check with `sshd -T`
 * that our values are the effective ones, reload, and wait until sshd listens again.
 */
import { quote } from '../core/index.js';

export const BLOCK_BEGIN = '# BEGIN firebreak harden (managed by firebreak: edits inside are overwritten)';
export const BLOCK_END = '# END firebreak harden';
export const DROPIN_NAME = '00-firebreak-harden.conf';

export interface SshdSettings {
  /** PasswordAuthentication no, KbdInteractiveAuthentication no. */
  key_only?: boolean;
  permit_root_login?: 'no' | 'prohibit-password';
  allow_users?: string[];
  sshd_options: Record<string, string>;
}

/** The settings as sshd_config lines (Port lines are added on the host: the old ports are known there). */
export function settingLines(s: SshdSettings): string[] {
  return [
    ...(s.key_only ? ['PasswordAuthentication no', 'KbdInteractiveAuthentication no'] : []),
    ...(s.permit_root_login ? [`PermitRootLogin ${s.permit_root_login}`] : []),
    ...(s.allow_users?.length ? [`AllowUsers ${s.allow_users.join(' ')}`] : []),
    ...Object.entries(s.sshd_options).map(([k, v]) => `${k} ${v}`),
  ];
}

const ere = (s: string) => s.replace(/[.*?+^$()[\]{}|\\]/g, '\\$&');

/** `sshd -T` lines (EREs) our settings must produce: keywords lower-cased, prohibit-password printed as without-password by older sshd. */
function expectedEffective(s: SshdSettings): string[] {
  return [
    ...(s.key_only ? ['passwordauthentication no', 'kbdinteractiveauthentication no'] : []),
    ...(s.permit_root_login === 'no' ? ['permitrootlogin no'] : []),
    ...(s.permit_root_login === 'prohibit-password' ? ['permitrootlogin (prohibit|without)-password'] : []),
    ...(s.allow_users ?? []).map((u) => `allowusers ${ere(u)}`),
  ];
}

/**
 * Shell functions over `$cfg`, `$fb_sshd`, `$d`:
 * - `fb_write_sshd PORTS` writes our block (PORTS empty: no Port lines) from the pristine backup;
 *   with PORTS, other active Port lines of the main file are commented out (Port adds, it never replaces);
 * - `fb_put_back_sshd` restores the files from the backup, byte for byte (cp -p);
 * - `fb_check_sshd PORTS` runs sshd -t, then sshd -T against what we asked for;
 * - `fb_reload_sshd` and `fb_wait_listen PORTS`.
 */
export function sshdFunctions(s: SshdSettings): string[] {
  const body = settingLines(s);
  const expected = expectedEffective(s);
  return [
    'fb_listening() { ss -tlnH 2>/dev/null | awk -v p=":$1" \'{ if (substr($4, length($4) - length(p) + 1) == p) f = 1 } END { exit !f }\'; }',
    'fb_write_sshd() {',
    `  { echo ${quote(BLOCK_BEGIN)}; for fb_port in $1; do echo "Port $fb_port"; done; printf '%s\\n' ${body.map(quote).join(' ')}; echo ${quote(BLOCK_END)}; } > "$d/block"`,
    `  fb_strip() { sed -e ${quote(`/^# BEGIN firebreak harden/,/^${BLOCK_END}$/d`)} "$1"; }`,
    '  fb_ports_off() { if [ -n "$fb_move" ]; then sed -E \'s/^([[:space:]]*[Pp][Oo][Rr][Tt][[:space:]])/#firebreak-harden# \\1/\'; else cat; fi; }',
    '  if [ -n "$fb_dropin" ]; then',
    '    cat "$d/block" > "$fb_dropin" && chmod 644 "$fb_dropin" && { [ -z "$fb_move" ] || fb_ports_off < "$d/sshd_config.bak" > "$cfg"; }',
    '  else',
    '    { cat "$d/block"; fb_strip "$d/sshd_config.bak" | fb_ports_off; } > "$cfg"',
    '  fi',
    '}',
    'fb_put_back_sshd() {',
    '  cp -p "$d/sshd_config.bak" "$cfg"',
    '  if [ -n "$fb_dropin" ]; then if [ -e "$d/dropin.bak" ]; then cp -p "$d/dropin.bak" "$fb_dropin"; else rm -f "$fb_dropin"; fi; fi',
    '}',
    'fb_check_sshd() {',
    '  "$fb_sshd" -t -f "$cfg" > "$d/sshd-t.out" 2>&1 || { echo "sshd -t refused the new configuration: $(tail -n 5 "$d/sshd-t.out")"; return 1; }',
    '  "$fb_sshd" -T -f "$cfg" > "$d/sshd-T.out" 2>&1 || { echo "sshd -T failed: $(tail -n 5 "$d/sshd-T.out")"; return 1; }',
    '  fb_have=$(awk \'$1 == "port" {print $2}\' "$d/sshd-T.out" | sort -un | tr "\\n" " ")',
    '  fb_want=$(for fb_port in $1; do echo "$fb_port"; done | sort -un | tr "\\n" " ")',
    '  [ -z "$1" ] || [ "$fb_have" = "$fb_want" ] || { echo "sshd -T says sshd would listen on ports ${fb_have}not ${fb_want}(a Port or ListenAddress line elsewhere?)"; return 1; }',
    `  for fb_line in ${expected.map(quote).join(' ')}; do`,
    '    grep -qixE -- "$fb_line" "$d/sshd-T.out" || { echo "sshd -T does not show \\"$fb_line\\": an earlier line (an Include, a Match block) wins over ours"; return 1; }',
    '  done',
    '  return 0',
    '}',
    'fb_reload_sshd() {',
    '  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1 && { systemctl is-active --quiet ssh || systemctl is-active --quiet sshd; }; then',
    '    systemctl reload ssh 2>/dev/null || systemctl reload sshd',
    '  else',
    '    fb_pidf=$("$fb_sshd" -T -f "$cfg" 2>/dev/null | awk \'$1 == "pidfile" {print $2}\'); [ -s "${fb_pidf:-/run/sshd.pid}" ] || { echo "no systemd and no sshd pid file: cannot reload sshd" >&2; return 1; }',
    '    kill -HUP "$(cat "${fb_pidf:-/run/sshd.pid}")"',
    '  fi',
    '}',
    // sshd re-executes itself on SIGHUP: give it a moment, then wait for every port (bounded).
    'fb_wait_listen() {',
    '  command -v ss >/dev/null 2>&1 || { sleep 2; return 0; }',
    '  sleep 1',
    '  for fb_port in $1; do fb_i=0; until fb_listening "$fb_port"; do fb_i=$((fb_i+1)); [ "$fb_i" -ge 50 ] && { echo "sshd does not listen on port $fb_port after the reload" >&2; return 1; }; sleep 0.2; done; done',
    '}',
  ];
}
