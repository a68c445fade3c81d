/**
 * How a command is wrapped on the remote side so that a timeout can kill it and all its children.
 *
 * sshd runs each exec request in a new session (it calls setsid()), so the login shell's PID is the
 * session and process-group ID of everything the command starts. The wrapper `exec`s a POSIX
 * `/bin/sh` (same PID, whatever the login shell is), prints that PID once as a marker line on stderr
 * (stripped again by the transport), and runs the user's command as the rest of that same script:
 * no second shell per command (it cost ~0.6 ms of host CPU each, a tenth of a fleet run's wall time
 * on a busy 2-core host). sh parses and runs a `-c` script one command at a time, so the marker is
 * printed even when the user's command has a syntax error. To kill, a second channel (or, on the
 * local transport, a second process) runs `killCommand(pid)`, i.e. `killTreeScript(pid)`: it freezes the tree (SIGSTOP, repeated so fork races are caught), sends
 * SIGTERM, thaws, waits up to ~2 s, then SIGKILLs what is left. The tree is the process group plus
 * every descendant and the process groups of descendants (sudo with use_pty starts its own session).
 *
 * Commands always run under `/bin/sh -c`, never the login shell's own language.
 */
import type { Become } from '../core/host.js';
import { quote } from '../core/quote.js';

/** Marker prefix printed on stderr, followed by the PID and a newline. */
export function pidMarker(nonce: string): string {
  return `__FIREBREAK_PID_${nonce}=`;
}

/**
 * The command line sent to sshd. With `become`, sudo reads the password from stdin (`-S`, empty
 * prompt, `-k` so a cached credential never leaves the password unread on the command's stdin);
 * the command itself then gets /dev/null as stdin. Without a password, `sudo -n` never prompts.
 *
 * The nonce stays findable on the PID the marker reports, so a kill long after (see left-running.ts)
 * can tell it is still this command: in the wrapper shell's command line, in the environment of
 * whatever that shell exec's (bash as /bin/sh execs a `-c` script's last command), and in sudo's
 * command line.
 *
 * `onStdin`: the command itself is not in the command line (where any user of the host sees it in
 * `ps`: a secret a step put into its command) but comes on stdin, after the become password if any,
 * behind a line holding the nonce (see stdinScript); the shell reads exactly its bytes and evals
 * them, so what follows on stdin is still the command's own. Skipping lines up to the nonce line
 * means a password sudo did not ask for (root, NOPASSWD) is read past, never run.
 */
export function wrapCommand(command: string, nonce: string, become?: Become, o: { onStdin?: boolean } = {}): string {
  const [read, body] = o.onStdin
    ? [
        `while IFS= read -r fb_line; do [ "$fb_line" = ${quote(nonce)} ] && break; done\n` +
          `fb_script=$(dd bs=1 count=${Buffer.byteLength(command)} 2>/dev/null)\n`,
        'eval "$fb_script"',
      ]
    : ['', command];
  return withPidMarker(
    become
      ? `exec ${sudoCommand(`# firebreak ${nonce}\n${body}`, become, read)}`
      : `export FIREBREAK_CMD_ID=${nonce}\n${read}${body}`,
    nonce,
  );
}

/** What goes on stdin, after the become password, for wrapCommand(command, nonce, become, { onStdin: true }). */
export function stdinScript(command: string, nonce: string): Buffer {
  return Buffer.from(`${nonce}\n${command}`);
}

/**
 * The command line that kills tree `pid` (see killTreeScript). With `become` the script runs as the
 * become user, who may signal the command's processes; then `kill -CONT pid` runs as the connecting
 * user. Freezing the command makes sudo (`pid`, owned by root) stop itself along with it, the become
 * user may not continue it, its invoking user may: continued, sudo reaps the dead command and exits.
 * `onlyIfCarries`: kill only if process `pid` still carries that nonce (see wrapCommand); otherwise
 * the PID is someone else's now and nothing is touched.
 */
export function killCommand(pid: number, nonce: string, become?: Become, o: { onlyIfCarries?: string } = {}): string {
  const guard = o.onlyIfCarries === undefined ? '' : `${carriesNonce(pid, o.onlyIfCarries)} || exit 0\n`;
  const script = killTreeScript(pid);
  if (!become) return withPidMarker(guard + script, nonce);
  // Like the script itself, finish even when the connection drops meanwhile.
  return withPidMarker(
    `trap '' HUP PIPE\n${guard}${sudoCommand(script, become)}\nkill -CONT ${pid} 2>/dev/null\ntrue`,
    nonce,
  );
}

/** A test that is true when process `pid` has `nonce` in its command line or (if readable) environment. */
function carriesNonce(pid: number, nonce: string): string {
  if (!/^[0-9a-f]{8,64}$/.test(nonce)) throw new RangeError('a command nonce is hex');
  return `{ tr '\\0' '\\n' </proc/${pid}/cmdline; tr '\\0' '\\n' </proc/${pid}/environ; } 2>/dev/null | grep -qF ${nonce}`;
}

/** sudo running `command` as the become user; `first` runs before stdin is closed (a password's case). */
function sudoCommand(command: string, become: Become, first = ''): string {
  const sudo = become.password !== undefined ? "sudo -S -k -p ''" : 'sudo -n';
  const inner = become.password !== undefined ? `${first}exec </dev/null\n${command}` : first + command;
  return `${sudo} -u ${quote(become.user)} -- /bin/sh -c ${quote(inner)}`;
}

function withPidMarker(body: string, nonce: string): string {
  const script = `printf '%s%s\\n' ${quote(pidMarker(nonce))} "$$" >&2\n${body}`;
  return `exec /bin/sh -c ${quote(script)}`;
}

/** Shell script that kills process tree `pid` (see module comment). Bounded: ~2.5 s at most. */
export function killTreeScript(pid: number): string {
  if (!Number.isInteger(pid) || pid < 2) throw new RangeError(`refusing to kill pid ${pid}`);
  const awk =
    '{p[NR]=$1; pp[NR]=$2; pg[NR]=$3} END { s[root]=1; g[root]=1; ch=1; it=0; ' +
    'while (ch && it < 64) { ch=0; it++; for (i=1;i<=NR;i++) if (!(p[i] in s) && ((pp[i] in s) || (pg[i] in g))) ' +
    '{ s[p[i]]=1; g[pg[i]]=1; ch=1 } } for (k in s) print k }';
  return [
    // The responder may drop the connection (a second Ctrl-C) while this runs: finish the kill anyway.
    "trap '' HUP PIPE",
    `root=${pid}`,
    `tree() { ps -e -o pid= -o ppid= -o pgid= 2>/dev/null | awk -v root="$root" ${quote(awk)}; }`,
    'all=""',
    'for round in 1 2 3; do t=$(tree); all="$all $t"; [ -n "$t" ] && kill -STOP $t 2>/dev/null; done',
    'all=$(echo $all | tr " " "\\n" | sort -un | tr "\\n" " ")',
    'kill -TERM -- -"$root" 2>/dev/null; [ -n "$all" ] && kill -TERM $all 2>/dev/null',
    'kill -CONT -- -"$root" 2>/dev/null; [ -n "$all" ] && kill -CONT $all 2>/dev/null',
    'i=0; while [ $i -lt 20 ]; do alive=""; for p in $all; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done; ' +
      'kill -0 -- -"$root" 2>/dev/null || [ -n "$alive" ] || break; sleep 0.1; i=$((i+1)); done',
    'kill -KILL -- -"$root" 2>/dev/null; [ -n "$all" ] && kill -KILL $all 2>/dev/null',
    'true',
  ].join('\n');
}

/**
 * Strips the PID marker from the head of stderr. Feed every stderr chunk through `push`; it returns
 * the bytes to pass on. Bytes before the marker (e.g. login noise) pass through; if no marker shows
 * within 64 KiB we give up looking and pass everything on.
 */
export class PidMarkerParser {
  pid?: number;
  private head: Buffer | null = Buffer.alloc(0);
  private readonly marker: Buffer;

  constructor(nonce: string) {
    this.marker = Buffer.from(pidMarker(nonce));
  }

  push(chunk: Buffer): Buffer {
    if (this.head === null) return chunk;
    const buf = Buffer.concat([this.head, chunk]);
    const at = buf.indexOf(this.marker);
    if (at >= 0) {
      const nl = buf.indexOf(0x0a, at);
      if (nl >= 0) {
        const n = Number(buf.subarray(at + this.marker.length, nl).toString('latin1'));
        if (Number.isInteger(n) && n > 1) this.pid = n;
        this.head = null;
        return Buffer.concat([buf.subarray(0, at), buf.subarray(nl + 1)]);
      }
    }
    if (buf.length > 65536) {
      this.head = null;
      return buf;
    }
    this.head = buf;
    return Buffer.alloc(0);
  }

  /** At end of stream: whatever is still held back. */
  flush(): Buffer {
    const rest = this.head ?? Buffer.alloc(0);
    this.head = null;
    return rest;
  }
}
