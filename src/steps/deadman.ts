/**
 * The dead-man timer ("commit confirmed"), host side. Before a risky change the step arms a detached
 * process that sleeps N seconds and then runs `$d/restore.sh exact`; after the change, the controller
 * opens a *fresh* SSH connection and, only if that works, disarms it. If nothing disarms it (the
 * fresh connection failed, the controller lost the host), the host rolls itself back.
 *
 * The process is detached from the SSH session (`setsid -f`, or a transient systemd unit where
 * systemd runs, so a logind KillUserProcesses=yes cannot take it down with the session) and writes
 * its PID to `$d/deadman.pid`. Firing and disarming race for one atomic `mkdir "$d/decided"`, so
 * exactly one of them happens; `$d/decided/by` says which.
 */
import { quote } from '../core/index.js';

/** The dead-man's own script: `$0` is the state dir, `$1` the seconds. TERM (disarm) ends it and its sleep. */
const DEADMAN =
  `trap 'kill $s 2>/dev/null; exit 0' TERM; echo $$ > "$0/deadman.pid"; sleep "$1" & s=$!; wait $s; ` +
  `if mkdir "$0/decided" 2>/dev/null; then echo "fired at $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$0/decided/by"; sh "$0/restore.sh" exact > "$0/deadman.log" 2>&1; fi`;

/** `fb_kill_deadman`: stop a pending timer (callers hold the decision lock). */
export const KILL_DEADMAN =
  'fb_kill_deadman() { fb_pid=$(cat "$d/deadman.pid" 2>/dev/null); case "$fb_pid" in ""|*[!0-9]*) ;; *) kill -TERM "$fb_pid" 2>/dev/null;; esac; return 0; }';

/**
 * Write `$d/restore.sh` (what the timer runs; also a manual way back: `sh $d/restore.sh`). `body`
 * must leave the host as it was and exit non-zero if it could not.
 */
export function writeRestoreScript(dir: string, body: readonly string[]): string[] {
  return [
    'cat > "$d/restore.sh" <<\'FB_RESTORE_EOF\'',
    '#!/bin/sh',
    '# Written by firebreak: puts back the state saved in this directory. Usage: sh restore.sh [exact|ours]',
    `d=${quote(dir)}`,
    ...body,
    'FB_RESTORE_EOF',
  ];
}

/** Shell functions: `fb_arm SECONDS` (returns non-zero if the timer did not start), `fb_rollback_now WHY`. */
export function deadmanFunctions(unit: string): string[] {
  return [
    `fb_dm=${quote(DEADMAN)}`,
    'fb_arm() {',
    '  rm -rf "$d/decided"; rm -f "$d/deadman.pid" "$d/deadman.log"',
    '  if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1 &&',
    `    systemd-run --quiet --collect --unit "${unit}-$(date +%s)" /bin/sh -c "$fb_dm" "$d" "$1" >/dev/null 2>&1; then :`,
    '  else setsid -f /bin/sh -c "$fb_dm" "$d" "$1" </dev/null >/dev/null 2>&1; fi',
    '  fb_i=0; while [ ! -s "$d/deadman.pid" ] && [ "$fb_i" -lt 50 ]; do sleep 0.1; fb_i=$((fb_i+1)); done',
    '  [ -s "$d/deadman.pid" ]',
    '}',
    KILL_DEADMAN,
    // The change failed half-way: do not wait for the timer.
    'fb_rollback_now() {',
    '  printf \'%s\\n\' "$1: rolling back now" >&2',
    '  if mkdir "$d/decided" 2>/dev/null; then echo "rolled back at once: $1" > "$d/decided/by"; fb_kill_deadman; sh "$d/restore.sh" exact >&2; fi',
    '  exit 1',
    '}',
  ];
}

/**
 * The commit: take the decision lock and stop the timer; if the timer already fired, fail saying so
 * (the change is gone, the host is back to its previous state).
 */
export function disarmScript(what: string): string[] {
  return [
    KILL_DEADMAN,
    'if mkdir "$d/decided" 2>/dev/null; then',
    '  echo "disarmed at $(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$d/decided/by"; fb_kill_deadman',
    `  echo "dead-man disarmed: a fresh SSH connection got in, the ${what} stays"`,
    'else',
    `  fb_fail "the dead-man timer $(cat "$d/decided/by" 2>/dev/null) before the ${what} was confirmed: the host put its previous state back, the ${what} is NOT in place. $(cat "$d/deadman.log" 2>/dev/null)"`,
    'fi',
  ];
}

/** The arming line used by the apply scripts, with the message a failed fresh connection relies on. */
export function armLine(seconds: number, what: string): string[] {
  return [
    `fb_arm ${seconds} || fb_fail "could not start the dead-man timer (setsid/systemd-run): nothing was changed"`,
    `echo "dead-man armed: unless a fresh SSH connection confirms the ${what}, the host puts its previous state back at $(date -u -d @$(( $(date +%s) + ${seconds} )) +%H:%M:%SZ 2>/dev/null || echo "now + ${seconds}s") (${seconds} s)"`,
  ];
}

/**
 * For a verify command: sets `fb_dm` from the markers in `$d` — `off` (nothing marked active: never
 * applied, rolled back, or undone), `armed` (applied, not confirmed: the timer is pending),
 * `confirmed` (disarmed by a fresh connection: the change is in force), `undoing` (the timer or a
 * rollback decided, yet the change is still marked active: restore.sh is running or failed) — and
 * `fb_dm_by`, what decided. For `armed`, `fb_dm_armed` says when the timer fires: the mtime of
 * deadman.pid (written as it started) plus the step's seconds; or that its process is gone, after
 * which nothing puts the previous state back by itself; `fb_dm_left`, the seconds until then. Reads only.
 */
export function deadmanState(seconds: number, what: string, undo: string): string[] {
  return [
    'fb_dm_by=$(cat "$d/decided/by" 2>/dev/null)',
    'if [ ! -e "$d/active" ]; then fb_dm=off',
    'elif [ ! -d "$d/decided" ]; then fb_dm=armed',
    'else case "$fb_dm_by" in disarmed*) fb_dm=confirmed;; *) fb_dm=undoing;; esac; fi',
    'fb_dm_pid=$(cat "$d/deadman.pid" 2>/dev/null); fb_dm_live=',
    'case "$fb_dm_pid" in ""|*[!0-9]*) ;; *) [ -d "/proc/$fb_dm_pid" ] && fb_dm_live=1;; esac',
    `fb_dm_end=$(( $(stat -c %Y "$d/deadman.pid" 2>/dev/null || date +%s) + ${seconds} ))`,
    'fb_dm_at=$(date -u -d "@$fb_dm_end" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null)',
    'fb_dm_left=$(( fb_dm_end - $(date +%s) )); [ "$fb_dm_left" -ge 0 ] || fb_dm_left=0',
    `if [ -n "$fb_dm_live" ]; then fb_dm_armed="the ${what} was applied but never confirmed (the controller went away before a fresh SSH connection could): its dead-man timer (pid $fb_dm_pid) puts the previous state back at \${fb_dm_at:-its deadline}; resume after that time and the step runs again, or ${undo}"`,
    `else fb_dm_armed="the ${what} was applied but never confirmed, and its dead-man timer is not running (pid \${fb_dm_pid:-not recorded}; a reboot?): nothing will put the previous state back by itself; ${undo}"; fi`,
  ];
}

/**
 * The verdict of a verify for an applied, unconfirmed change: while its dead-man timer lives, wait for
 * it (resume asks again once it fired, and then runs the step again); without a timer, cannot tell.
 */
export const ARMED_VERDICT =
  '  armed) [ -n "$fb_dm_live" ] && fb_wait "$fb_dm_left" "$fb_dm_armed"; fb_unknown "$fb_dm_armed";;';

/**
 * How long a step keeps trying to confirm with fresh connections (`fresh-connection.withinMs`): half
 * the dead-man window, at most a minute, so the confirmation (and the disarm after it) ends well
 * before the host would roll back on its own.
 */
export function confirmWindowMs(deadmanSeconds: number): number {
  return Math.min(60_000, Math.floor((deadmanSeconds * 1000) / 2));
}
