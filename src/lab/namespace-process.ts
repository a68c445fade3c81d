/**
 * The process that *is* a lab host: `unshare` with fresh namespaces running our init as PID 1.
 * Started detached so the lab outlives the `lab up` command; stopped only after checking that the
 * PID still belongs to our init (PIDs are reused).
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { EnvironmentError } from '../core/index.js';
import { spawnDetached, type DetachedChild } from './sys.js';

export interface NamespaceProcess {
  /** PID of `unshare`. */
  pid: number;
  /** PID of its child, PID 1 inside the namespaces: the target for nsenter. */
  initPid: number;
}

function readChildren(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Start `unshare <flags> bash -c '. "$0"' <script> <args…>` for `name`, logging to `logFile`; resolve once PID 1 exists. */
export async function startNamespaceProcess(
  name: string,
  flags: string[],
  script: string,
  args: string[],
  logFile: string,
): Promise<NamespaceProcess> {
  const fd = openSync(logFile, 'a', 0o600);
  let child: DetachedChild;
  try {
    child = spawnDetached(
      'unshare',
      // Sourced by `bash -c` rather than run as `bash SCRIPT`: a host whose PID 1 runs a script from
      // /tmp or a dot-directory is what the process findings report as an attacker's habit.
      [...flags, '--fork', '--kill-child', '--propagation', 'private', 'bash', '-c', '. "$0"', script, ...args],
      fd,
    );
  } finally {
    closeSync(fd);
  }
  // Up to 15 s: on a loaded 2-core machine (another lab booting) 5 s was once too short. Whether
  // unshare is gone comes from its exit event: /proc/PID/cmdline reads empty for a moment after exec.
  for (let i = 0; i < 1500 && !child.exit(); i++) {
    const [initPid] = readChildren(child.pid);
    if (initPid) return { pid: child.pid, initPid };
    await sleep(10);
  }
  const ended = child.exit();
  if (!ended) process.kill(child.pid, 'SIGKILL');
  // The machine could not give us namespaces (or the init script failed at once): its state, not a bug.
  const why = ended
    ? `unshare exited ${ended.signal ? `on ${ended.signal}` : `with code ${ended.code}`}`
    : 'no PID 1 after 15 s';
  throw new EnvironmentError(`the namespace process of ${name} did not start (${why}): ${logTail(logFile)}`);
}

/** Is `pid` still our unshare/init for this script (not a reused PID)? */
export function isOurs(pid: number, script: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(script);
  } catch {
    return false;
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** Kill PID 1 (the kernel then kills everything in its PID namespace) and unshare; wait until gone. */
export async function stopNamespaceProcess(p: NamespaceProcess, script: string, waitMs = 10_000): Promise<void> {
  for (const pid of [p.initPid, p.pid]) {
    if (isOurs(pid, script)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  const deadline = Date.now() + waitMs;
  while ((alive(p.initPid) || alive(p.pid)) && Date.now() < deadline) await sleep(20);
}

/** The last lines of a log, for an error message; the path when there is nothing to show. */
function logTail(logFile: string): string {
  try {
    const lines = readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join(' | ');
    return lines ? `${lines} (${logFile})` : `see ${logFile}`;
  } catch {
    return `see ${logFile}`;
  }
}
