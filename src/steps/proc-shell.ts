/**
 * Shell building blocks for the steps that kill things on a host (lock_user, kill_process): one `ps`
 * snapshot read by one awk program answers "which processes are the responder's own connection" and
 * "which processes belong to user U". Both steps must never kill the session they run in, so the
 * answer is computed on the host, at the moment of acting, from this shell's own ancestry.
 *
 * Plain POSIX sh and awk (dash and mawk on Debian, bash and gawk elsewhere); `ps` from procps.
 */
import { quote } from '../core/index.js';

/**
 * Input: `ps -e -o pid,ppid,ruid,euid,suid,fsuid,luid,stat,args`. Environment: FB_SELF (this shell's
 * PID), FB_MODE (`ours` | `responder` | `user`), FB_USER and FB_UID for `user`.
 *
 * ours: this shell's ancestors up to init, plus everything under the topmost sshd session process
 *   among them (`sshd: USER [priv]` / `sshd: USER@notty`): every channel of the responder's connection.
 * responder: the login names in the titles of those sshd session processes.
 * user: the user's sshd sessions (by title: the `[priv]` half runs as root), every process with the
 *   user's UID (real, effective, saved, fs) or login UID (audit loginuid survives su, sudo and setsid),
 *   and all their descendants (what the user started through sudo); UID matching is off for UID 0,
 *   where it would mean every root process. Never `ours`, PID 1 or zombies.
 */
const PROC_AWK = `
function desc(set,   ch, i, p) {
  ch = 1
  while (ch) { ch = 0; for (i = 1; i <= n; i++) { p = order[i]; if (!(p in set) && (pp[p] in set)) { set[p] = 1; ch = 1 } } }
}
function session(a) { return a ~ /^sshd(-session)?: [^\\/ ]+(@| \\[priv\\])/ }
{
  n++; p = $1; order[n] = p; pp[p] = $2; uids[p] = " " $3 " " $4 " " $5 " " $6 " "; lu[p] = $7; st[p] = $8
  a = $0; for (i = 1; i <= 8; i++) sub(/^ *[^ ]+/, "", a); sub(/^ +/, "", a); args[p] = a
}
END {
  mode = ENVIRON["FB_MODE"]; p = ENVIRON["FB_SELF"]; top = ""
  while (p != "" && p + 0 > 1 && !(p in ours)) { ours[p] = 1; chain[p] = 1; if (session(args[p])) top = p; p = pp[p] }
  if (top != "") { conn[top] = 1; desc(conn); for (q in conn) ours[q] = 1 }
  if (mode == "ours") { for (q in ours) print q; exit }
  if (mode == "responder") {
    for (q in chain) if (session(args[q])) { a = args[q]; sub(/^[^:]*: /, "", a); sub(/[@ ].*$/, "", a); print a }
    exit
  }
  u = ENVIRON["FB_USER"]; id = ENVIRON["FB_UID"]
  for (i = 1; i <= n; i++) {
    p = order[i]; a = args[p]
    if (index(a, "sshd: " u "@") == 1 || index(a, "sshd: " u " [") == 1 || index(a, "sshd-session: " u "@") == 1 || index(a, "sshd-session: " u " [") == 1) sel[p] = 1
    else if (id != "" && id != "0" && (index(uids[p], " " id " ") > 0 || lu[p] == id)) sel[p] = 1
  }
  desc(sel)
  for (q in sel) if (!(q in ours) && q + 0 > 1 && st[q] !~ /^Z/) print q
}`;

/**
 * `fb_sel MODE [USER UID]`: the PIDs (one per line) or names of PROC_AWK's answer.
 * `fb_pids_of LIST`: comma-separated, for `ps -p`.
 */
export const FB_SEL =
  `fb_awk=${quote(PROC_AWK)}\n` +
  `fb_sel() { ps -ww -e -o pid= -o ppid= -o ruid= -o euid= -o suid= -o fsuid= -o luid= -o stat= -o args= | FB_SELF=$$ FB_MODE="$1" FB_USER="\${2:-}" FB_UID="\${3:-}" awk "$fb_awk"; }\n` +
  `fb_csv() { echo $* | tr ' ' ','; }`;

/**
 * `fb_stopkill LABEL CMD...`: until CMD prints no PIDs (at most 10 rounds), show those processes,
 * SIGSTOP them all (so none can fork or restart another while we work) and SIGKILL them. Leaves the
 * PIDs it killed in `$fb_killed`.
 */
export const FB_STOPKILL = `fb_stopkill() {
  fb_what=$1; shift; fb_killed=""
  for fb_round in 1 2 3 4 5 6 7 8 9 10; do
    fb_p=$("$@" | sort -n | tr '\\n' ' '); fb_p=\${fb_p% }
    [ -n "$fb_p" ] || return 0
    echo "$fb_what, round $fb_round: SIGSTOP then SIGKILL:"; ps -ww -o pid=,user:32=,args= -p "$(fb_csv $fb_p)" | sed 's/^/  /'
    kill -STOP $fb_p 2>/dev/null; kill -KILL $fb_p 2>/dev/null
    fb_killed="$fb_killed $fb_p"; sleep 0.2
  done
}`;

/** Join shell snippets into one script (the remote side runs it under /bin/sh -c). */
export function script(...parts: string[]): string {
  return parts.join('\n');
}
