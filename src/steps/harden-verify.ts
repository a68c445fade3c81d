/**
 * `harden`'s verify, for resume: is the hardening in force, as these params write it? Read from the
 * state `harden` keeps in `$d` (the dead-man markers, the saved sshd_config, where the block went, the
 * ports it ends on) and from the files and firewall themselves. Reads only.
 *
 * A confirmed hardening whose block, ports, rules or nf_conntrack_max are not what the step leaves is
 * unknown, never absent: a second harden would save the hardened files as "the original" and lose
 * the way back. Nothing in force and the files as saved: absent (never applied, or the dead-man timer
 * put it all back while the controller was gone). Nothing in force but sshd_config already rewritten
 * (a crash between writing it and arming the timer): unknown, for the same reason.
 */
import { quote } from '../core/index.js';
import { ARMED_VERDICT, deadmanState } from './deadman.js';
import { oursLoaded } from './firewall-state.js';
import { BLOCK_BEGIN, BLOCK_END, settingLines, type SshdSettings } from './harden-sshd.js';
import { VERIFY_NEEDS_ROOT, verifyHead } from './verify-shell.js';

export interface HardenVerify extends SshdSettings {
  dir: string;
  sshdConfig: string;
  deadmanSeconds: number;
  conntrackMax?: number;
  /** Does the step touch sshd / load firewall rules (table or chains `name`)? */
  sshd: boolean;
  firewall: boolean;
  name: string;
}

const CONNTRACK_MAX = '/proc/sys/net/netfilter/nf_conntrack_max';

/** The checks of a confirmed hardening: each fails with unknown, naming what is not as the step leaves it. */
function confirmedChecks(v: HardenVerify): string[] {
  const expected = [BLOCK_BEGIN, ...settingLines(v), BLOCK_END].join('\n');
  const changed = 'harden would save the hardened files as the originals: check the host';
  return [
    ...(v.sshd
      ? [
          `[ "$(fb_block | grep -v '^Port ')" = ${quote(expected)} ] || fb_unknown "the hardening was confirmed ($fb_dm_by) but the block in \${fb_dropin:-$cfg} is not the one these params write (another harden with id $fb_id?); ${changed}"`,
          'fb_ports=$(fb_block | awk \'$1 == "Port" {print $2}\' | sort -un | tr "\\n" " " | sed "s/ $//")',
          'fb_final=$(cat "$d/ports.final" 2>/dev/null)',
          'if [ -n "$(cat "$d/move" 2>/dev/null)" ] && [ -n "$fb_final" ] && [ "$fb_ports" != "$(for fb_p in $fb_final; do echo "$fb_p"; done | sort -un | tr "\\n" " " | sed "s/ $//")" ]; then',
          '  fb_unknown "the hardening was confirmed ($fb_dm_by) but sshd is still configured for ports $fb_ports, not only $fb_final: the old port was not closed; close it by hand, or put everything back with sh $d/restore.sh"',
          'fi',
        ]
      : []),
    ...(v.firewall
      ? [
          `[ -n "$fb_fw" ] || fb_unknown "the hardening was confirmed ($fb_dm_by) but no ${v.name} rules are loaded; ${changed}"`,
        ]
      : []),
    ...(v.conntrackMax !== undefined
      ? [
          `[ ! -e "$d/conntrack_max.before" ] || [ "$(cat ${CONNTRACK_MAX} 2>/dev/null || echo 0)" -ge ${v.conntrackMax} ] || fb_unknown "the hardening was confirmed but nf_conntrack_max is $(cat ${CONNTRACK_MAX} 2>/dev/null), below ${v.conntrackMax} again"`,
        ]
      : []),
  ];
}

export function hardenVerify(v: HardenVerify): string {
  return [
    ...verifyHead('harden', 'is the hardening in force?', v.dir),
    VERIFY_NEEDS_ROOT,
    `cfg=${quote(v.sshdConfig)}; fb_id=${quote(v.dir.replace(/^.*\//, ''))}`,
    'fb_dropin=$(cat "$d/dropin" 2>/dev/null)',
    // Our block as it is in force: the drop-in, or the managed block at the top of sshd_config.
    `fb_block() { if [ -n "$fb_dropin" ]; then cat "$fb_dropin" 2>/dev/null; else sed -n ${quote(`/^# BEGIN firebreak harden/,/^${BLOCK_END}$/p`)} "$cfg"; fi; }`,
    // The sshd files as saved before the change (true when nothing was saved).
    'fb_pristine() {',
    '  [ ! -e "$d/sshd_config.bak" ] || cmp -s "$d/sshd_config.bak" "$cfg" || return 1',
    '  [ -n "$fb_dropin" ] || return 0',
    '  if [ -e "$d/dropin.bak" ]; then cmp -s "$d/dropin.bak" "$fb_dropin"; else [ ! -e "$fb_dropin" ]; fi',
    '}',
    oursLoaded(v.name),
    ...deadmanState(v.deadmanSeconds, 'hardening', 'or put it back now with sh $d/restore.sh'),
    'fb_fw=$(fb_ours_loaded)',
    'case "$fb_dm" in',
    '  confirmed)',
    ...confirmedChecks(v).map((l) => `    ${l}`),
    `    fb_done "hardened, $fb_dm_by${v.sshd ? '; sshd block in ${fb_dropin:-$cfg}${fb_ports:+, ports $fb_ports}' : ''}\${fb_fw:+; rules loaded: $fb_fw}";;`,
    ARMED_VERDICT,
    '  undoing) fb_unknown "the dead-man timer or a rollback took over ($fb_dm_by) but $d still marks the hardening active: putting things back is under way or failed";;',
    'esac',
    `[ -z "$fb_fw" ] || fb_unknown "rules of ours are loaded ($fb_fw) but $d records no hardening in force: check the host"`,
    'fb_pristine || fb_unknown "no hardening is in force, yet the sshd configuration differs from the copy saved in $d before the change (written, but the timer never armed?): put $d/sshd_config.bak back (cp -p), then resume"',
    'case "$fb_dm_by" in fired*) fb_absent "the dead-man timer $fb_dm_by (the hardening was never confirmed): the previous state is back, the hardening runs again";; esac',
    'fb_absent "no hardening in force${fb_dm_by:+ ($fb_dm_by, then undone)}: the hardening runs again"',
  ].join('\n');
}
