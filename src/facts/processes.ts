/**
 * Processes: `ps` for the table everyone knows and a walk of `/proc` that does not trust `ps`
 * (rootkits replace it). The walk reads each process's real binary through `/proc/PID/exe`, which
 * opens even when the file was deleted, and hashes it, so `kill_process` can compare what it preserved.
 *
 * Findings (`process.suspicious`): a binary under /tmp, /var/tmp or /dev/shm, a deleted binary, a
 * process named like a kernel thread (`[kworker/0:1]`, `kworkerds`) that is not one (real kernel
 * threads have no binary and are children of kthreadd, PID 2), a daemon's or shell's name on another
 * binary, and a script run from a scratch dir, a hidden path or deleted (process-traits.ts).
 */
import type { Finding, FindingSeverity } from '../core/index.js';
import { defineFact } from './fact.js';
import { deletedFact, type DeletedFile } from './process-files.js';
import { borrowedNameReason, displayName, scriptOf, scriptReasons } from './process-traits.js';
import { finding, hasHiddenComponent, inScratchDir, lines, maxSeverity, unique } from './text.js';

export { displayName };

/**
 * `ps` with a fixed, parseable layout: `PID PPID USER LSTART(5 words) STAT ARGS…`. The user column
 * is widened so long names are not cut, and `comm` is left out because it may contain spaces
 * (the `/proc` walk has it, unambiguously).
 */
const PS_COMMAND = 'LC_ALL=C ps -eo pid=,ppid=,user:32=,lstart=,stat=,args=';

/**
 * Walk `/proc` in one POSIX sh command. One line per process, tab-separated:
 *
 * `PID  PPID  COMM  EXE  SHA256  CWD  FDS  CMDLINE`
 *
 * - EXE: the `/proc/PID/exe` target, `… (deleted)` when the file is gone; `-` when there is none
 *   (kernel threads, zombies) or it cannot be read.
 * - SHA256 of the running binary (read through `/proc/PID/exe`), or `-`. Hashes of the same path are
 *   computed once, except for deleted files (two deleted files can share a name).
 * - CWD: `/proc/PID/cwd` target or `-`; FDS: number of open file descriptors or `-`.
 * - CMDLINE: arguments joined by spaces (empty for kernel threads); last, so nothing follows it.
 *
 * Tabs and newlines inside names are replaced (`?` in paths, a space in the command line) so that a
 * hostile file name cannot forge a line. The shell running the walk skips itself.
 */
const PROC_COMMAND =
  `t=$(printf '\\t'); c=; for d in /proc/[0-9]*; do p=\${d#/proc/}; [ "$p" = "$$" ] && continue; ` +
  `s=; { read -r s < "$d/stat"; } 2>/dev/null; [ -n "$s" ] || continue; ` +
  `n=\${s#*\\(}; n=\${n%) *}; n=\${n%%"$t"*}; s=\${s##*) }; set -- $s; pp=\${2:--}; ` +
  `e=$(readlink "$d/exe" 2>/dev/null | tr '\\t\\n' '??'); e=\${e%\\?}; [ -n "$e" ] || e=-; ` +
  `if [ "$e" = - ]; then h=-; else case "$c" in *"$t$e$t"*) h=\${c#*"$t$e$t"}; h=\${h%%"$t"*};; ` +
  `*) h=$(sha256sum < "$d/exe" 2>/dev/null); h=\${h%% *}; [ -n "$h" ] || h=-; ` +
  `case "$e" in *' (deleted)') ;; *) c="$c$t$e$t$h";; esac;; esac; fi; ` +
  `w=$(readlink "$d/cwd" 2>/dev/null | tr '\\t\\n' '??'); w=\${w%\\?}; [ -n "$w" ] || w=-; ` +
  `set -- "$d"/fd/*; if [ -L "$1" ]; then f=$#; else f=-; fi; ` +
  `m=$(tr '\\000\\t\\n' '   ' < "$d/cmdline" 2>/dev/null); m=\${m% }; ` +
  `printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$p" "$pp" "$n" "$e" "$h" "$w" "$f" "$m"; done`;

/** One row of `ps` ({@link psFact}). */
export interface PsRecord {
  pid: number;
  ppid: number;
  user: string;
  /** `ps` lstart as printed (`Sat Nov 21 19:41:50 2026`, local time of the host). */
  started: string;
  stat: string;
  args: string;
}

/** One row of the `/proc` walk ({@link procFact}). `undefined` where the walk printed `-`. */
export interface ProcRecord {
  pid: number;
  ppid?: number;
  comm: string;
  exe?: string;
  /** The exe target ended in ` (deleted)`: the binary was removed after it started. */
  deleted: boolean;
  sha256?: string;
  cwd?: string;
  fds?: number;
  cmdline: string;
}

const PS_LINE =
  /^\s*(\d+)\s+(\d+)\s+(\S+)\s+([A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4})\s+(\S+)\s+(.*)$/;

export function parsePs(text: string): PsRecord[] {
  const out: PsRecord[] = [];
  for (const line of lines(text)) {
    const m = PS_LINE.exec(line);
    if (!m) continue;
    out.push({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      user: m[3] as string,
      started: (m[4] as string).replace(/\s+/g, ' '),
      stat: m[5] as string,
      args: (m[6] as string).trimEnd(),
    });
  }
  return out;
}

const dash = (v: string | undefined): string | undefined => (v === undefined || v === '-' || v === '' ? undefined : v);

export function parseProc(text: string): ProcRecord[] {
  const out: ProcRecord[] = [];
  for (const line of lines(text)) {
    const f = line.split('\t');
    if (f.length < 8 || !/^\d+$/.test(f[0] as string)) continue;
    const [pid, ppid, comm, exe, sha, cwd, fds] = f as [string, string, string, string, string, string, string];
    const target = dash(exe);
    const rec: ProcRecord = {
      pid: Number(pid),
      comm,
      deleted: target?.endsWith(' (deleted)') ?? false,
      cmdline: f.slice(7).join(' ').trimEnd(),
    };
    if (/^\d+$/.test(ppid)) rec.ppid = Number(ppid);
    if (target) rec.exe = target;
    if (/^[0-9a-f]{64}$/.test(sha)) rec.sha256 = sha;
    if (dash(cwd)) rec.cwd = cwd;
    if (/^\d+$/.test(fds)) rec.fds = Number(fds);
    out.push(rec);
  }
  return out;
}

/** A process as the findings see it: the `ps` row and the `/proc` row of one PID, either may be missing. */
export interface ProcessView {
  pid: number;
  ppid?: number;
  user?: string;
  stat?: string;
  /** What `ps` shows (`args`), else the `/proc` command line, else `[comm]`. */
  args: string;
  comm?: string;
  exe?: string;
  deleted: boolean;
  sha256?: string;
  cwd?: string;
  /** Open descriptors whose file was deleted (from `processes/deleted`). */
  deletedFds?: Array<{ fd: number; target: string }>;
}

/** Join `ps`, `/proc` and deleted-file rows by PID. */
export function joinProcesses(
  ps: readonly PsRecord[],
  proc: readonly ProcRecord[],
  deleted: readonly DeletedFile[] = [],
): ProcessView[] {
  const byPid = new Map<number, ProcessView>();
  for (const r of proc) {
    const v: ProcessView = { pid: r.pid, args: r.cmdline || `[${r.comm}]`, comm: r.comm, deleted: r.deleted };
    if (r.ppid !== undefined) v.ppid = r.ppid;
    if (r.exe) v.exe = r.exe;
    if (r.sha256) v.sha256 = r.sha256;
    if (r.cwd) v.cwd = r.cwd;
    byPid.set(r.pid, v);
  }
  for (const r of ps) {
    const v = byPid.get(r.pid) ?? { pid: r.pid, args: r.args, deleted: false };
    Object.assign(v, { ppid: v.ppid ?? r.ppid, user: r.user, stat: r.stat, args: r.args });
    byPid.set(r.pid, v);
  }
  for (const d of deleted) {
    const v = byPid.get(d.pid);
    if (!v || d.fd === undefined) continue;
    (v.deletedFds ??= []).push({ fd: d.fd, target: d.target });
  }
  return [...byPid.values()].sort((a, b) => a.pid - b.pid);
}

/** Names kernel threads use, and names malware borrows from them (`kworkerds`, `kthreaddi`, `kdevtmpfsi`). */
const KTHREAD_NAME =
  /^(?:kworker|kthreadd|ksoftirqd|kswapd|kdevtmpfs|kblockd|khugepaged|kcompactd|kauditd|khungtaskd|kintegrityd|ksmd|migration\/|rcu_|cpuhp\/|watchdog|jbd2\/|writeback|oom_reaper|kthrotld|kstrp|irq\/|idle_inject)/;

/**
 * Looks like a kernel thread: bracketed arguments (how `ps` shows threads), or a kernel thread's name.
 * Brackets alone count only for a process the /proc walk saw too: one that `ps` alone caught with an
 * empty command line, under another name, is one caught between fork and exec (the collector's own
 * `| wc` pipeline, found high on a freshly rebuilt host in a crash trial), not a disguise.
 */
function looksLikeKernelThread(v: ProcessView): boolean {
  const seenByWalk = v.comm !== undefined || v.exe !== undefined;
  const bracketed = /^\[([^\]]+)\]$/.exec(v.args.trim());
  return (
    (seenByWalk && bracketed !== null && !ownNameBracketed(v, bracketed[1] as string)) ||
    KTHREAD_NAME.test(displayName(v.args)) ||
    (v.comm !== undefined && KTHREAD_NAME.test(v.comm))
  );
}

/**
 * `[sshd]` for a process running /usr/sbin/sshd with comm `sshd`: ps brackets the name of a process
 * whose command line is empty, as for one that is exiting (a pre-auth sshd child of a connection that
 * just closed: a brute-forced host has many). Its own name on its own binary is no disguise; a
 * kernel thread's name still is (KTHREAD_NAME).
 */
function ownNameBracketed(v: ProcessView, name: string): boolean {
  const exe = v.exe?.replace(/ \(deleted\)$/, '');
  if (!exe || v.comm === undefined || name !== v.comm) return false;
  // comm is the executable's name cut to 15 bytes.
  return exe.slice(exe.lastIndexOf('/') + 1).startsWith(v.comm);
}

/** Why a process is suspicious, each reason with its severity. Empty for an ordinary process. */
export function suspiciousReasons(v: ProcessView): Array<{ reason: string; severity: FindingSeverity }> {
  const out: Array<{ reason: string; severity: FindingSeverity }> = [];
  const path = v.exe?.replace(/ \(deleted\)$/, '');
  if (path && inScratchDir(path)) out.push({ reason: `runs from ${path}`, severity: 'high' });
  const memfd = path?.startsWith('/memfd:') ?? false;
  // memfd_create + execve: a binary that never touched the disk ("fileless" droppers)
  if (memfd) out.push({ reason: 'runs from an anonymous memory file (memfd)', severity: 'high' });
  if (v.deleted && path && !memfd) {
    // An upgraded package leaves deleted binaries of long-running daemons behind; scratch dirs and hidden paths do not.
    out.push({
      reason: 'its binary was deleted',
      severity: inScratchDir(path) || hasHiddenComponent(path) ? 'high' : 'medium',
    });
  }
  const zombie = v.stat?.includes('Z') ?? false;
  if (!zombie && looksLikeKernelThread(v)) {
    if (v.exe) out.push({ reason: `named like a kernel thread but runs ${v.exe}`, severity: 'high' });
    else if (v.ppid !== undefined && v.ppid !== 2 && v.pid !== 2)
      out.push({
        reason: `named like a kernel thread but its parent is PID ${v.ppid}, not kthreadd`,
        severity: 'high',
      });
  }
  const borrowed = borrowedNameReason(v);
  if (borrowed) out.push(borrowed);
  out.push(...scriptReasons(v));
  return out;
}

export function processFindings(host: string, processes: readonly ProcessView[]): Finding[] {
  const out: Finding[] = [];
  for (const v of processes) {
    const reasons = suspiciousReasons(v);
    if (reasons.length === 0) continue;
    const detail: Finding['detail'] = {
      pid: v.pid,
      args: v.args,
      reasons: unique(reasons.map((r) => r.reason)),
      deleted: v.deleted,
    };
    if (v.ppid !== undefined) detail.ppid = v.ppid;
    if (v.user) detail.user = v.user;
    if (v.exe) detail.exe = v.exe;
    if (v.sha256) detail.sha256 = v.sha256;
    if (v.cwd) detail.cwd = v.cwd;
    if (v.comm) detail.comm = v.comm;
    const script = scriptOf(v);
    if (script) detail.script = script;
    const summary = `PID ${v.pid} ${displayName(v.args)}: ${(detail.reasons as string[]).join('; ')}`;
    out.push(finding(host, 'process.suspicious', maxSeverity(...reasons.map((r) => r.severity)), summary, detail));
  }
  return out;
}

/** `ps` as everyone knows it; no findings of its own: the `/proc` walk joins it. */
export const psFact = defineFact({ label: 'processes/ps', command: PS_COMMAND, parse: parsePs });

/** The `/proc` walk, joined with `ps` and the deleted open files by PID: suspicious processes. */
export const procFact = defineFact<ProcRecord[], { ps: PsRecord[]; deleted: DeletedFile[] }>({
  label: 'processes/proc',
  command: PROC_COMMAND,
  parse: parseProc,
  needs: { ps: psFact, deleted: deletedFact },
  findings: (host, proc, { ps, deleted }) => processFindings(host, joinProcesses(ps ?? [], proc, deleted ?? [])),
});
