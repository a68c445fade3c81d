/**
 * The frame of every step's `verify` command (what `resume` asks a host when a controller crash
 * caught the step running): a title line, the step's state directory, and the verdict functions.
 * A verify command only looks: it changes nothing on the host, waits for nothing, and says what it
 * saw as its last line, `done: …`, `absent: …`, `unknown: …` or `wait: N s: …`, with exit code 0 (the verdict is
 * the answer; a non-zero exit would only mean the command itself broke).
 */
import { quote } from '../core/index.js';

/**
 * The first lines of a verify command: `fb_done WHAT`, `fb_absent WHY`, `fb_unknown WHY` print the
 * verdict on one line (newlines in WHY become spaces) and end the script.
 */
export function verifyHead(step: string, question: string, dir?: string): string[] {
  return [
    `# firebreak verify ${step}: ${question}`,
    ...(dir !== undefined ? [`d=${quote(dir)}`] : []),
    `fb_verdict() { fb_v=$1; shift; printf '%s: %s\\n' "$fb_v" "$(printf '%s' "$*" | tr '\\n' ' ')"; exit 0; }`,
    'fb_done() { fb_verdict done "$@"; }',
    'fb_absent() { fb_verdict absent "$@"; }',
    'fb_unknown() { fb_verdict unknown "$@"; }',
    // `wait: N s: WHY`: the answer changes by itself within N seconds (a dead-man timer): ask again then.
    'fb_wait() { fb_w=$1; shift; fb_verdict wait "$fb_w s: $*"; }',
  ];
}

/** State directories, /etc/shadow and other users' /proc entries are root's: without root we cannot tell. */
export const VERIFY_NEEDS_ROOT =
  '[ "$(id -u)" = 0 ] || fb_unknown "cannot tell without root (the step runs with become: true; so must its verify)"';
