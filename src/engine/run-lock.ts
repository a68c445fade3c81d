/**
 * The run lock: one controller writes a run directory at a time. A run takes it right after its run
 * directory is created and gives it up when `summary.json` is written and the journal closed; `resume`
 * (and `runs list`) ask whether a controller still holds it.
 *
 * The lock is `run.lock` in the run directory, created with O_EXCL (`wx`), holding one JSON object:
 * who holds it (pid, hostname, start time, firebreak version) and, on Linux, the process's start time
 * in clock ticks (`/proc/<pid>/stat` field 22), so that a pid the kernel has since given to another
 * process is not mistaken for the holder. A controller killed with SIGKILL leaves the file behind; its
 * pid is then dead, which makes the lock stale, and a stale lock may be taken over (the new lock
 * records whose lock it replaced). Only a lock of this same host can be judged: a lock written on
 * another host is treated as held.
 *
 * Two controllers taking over the same stale lock at once: one wins (see moveAside). Left open: a third
 * controller taking the lock in the instant the loser puts the winner's lock back; no flock(2) in Node.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { firebreakVersion, InputError } from '../core/index.js';

export const RUN_LOCK_FILE = 'run.lock';

/** A lock file that cannot be read as a lock is taken for a holder that died while writing it after this long. */
const UNREADABLE_STALE_MS = 10_000;

/** What `run.lock` holds. */
export interface RunLockInfo {
  pid: number;
  hostname: string;
  /** When the lock was taken (ISO-8601 UTC). */
  startedAt: string;
  /** Linux only: the holder's start time in clock ticks after boot, `/proc/<pid>/stat` field 22. */
  procStart?: number;
  version: string;
  /** The stale lock this one replaced, when it replaced one. */
  tookOver?: Omit<RunLockInfo, 'tookOver'>;
}

/** A lock this process holds. */
export interface RunLock {
  path: string;
  info: RunLockInfo;
  /** The exact text written: release removes the file only while it still holds this. */
  text: string;
  /** Why the lock it replaced was stale, when it took one over (its holder is also in `info.tookOver`). */
  tookOver?: string;
}

/** Whether a run directory's lock is held. */
export type RunLockState =
  /** A live process of this host holds it, or a process of another host (which cannot be checked from here). */
  | 'held'
  /** Its holder is gone (the pid is dead, a zombie, or now another process's), or it was never completed. */
  | 'stale'
  /** There is no lock file. */
  | 'none';

export interface RunLockStatus {
  state: RunLockState;
  /** The lock file's contents, when they could be read. */
  holder?: RunLockInfo;
  /** One sentence for humans: who holds it, or why it is stale. */
  detail: string;
}

/**
 * Take the run directory's lock. Throws an InputError naming the holder when a live process (or one
 * of another host) holds it; a stale lock is taken over, and the new lock records the old holder.
 */
export function acquireRunLock(runDir: string): RunLock {
  const path = join(runDir, RUN_LOCK_FILE);
  // Bounded: each round takes the lock, throws, or lost a race to another controller and looks again.
  for (let round = 0; round < 5; round++) {
    const { status, text: judged } = inspect(path);
    if (status.state === 'held') {
      const elsewhere = status.holder && status.holder.hostname !== os.hostname();
      const hint = elsewhere ? `; if that controller is gone, remove ${path}` : '';
      throw new InputError(`run directory ${runDir} is locked: ${status.detail}${hint}`);
    }
    if (status.state === 'stale' && !moveAside(path, judged)) continue;
    const info: RunLockInfo = {
      pid: process.pid,
      hostname: os.hostname(),
      startedAt: new Date().toISOString(),
      ...procStartOf(process.pid),
      version: firebreakVersion(),
      ...(status.holder ? { tookOver: withoutTookOver(status.holder) } : {}),
    };
    const text = JSON.stringify(info) + '\n';
    try {
      writeExclusive(path, text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // another controller was faster
      throw err;
    }
    return { path, info, text, ...(status.state === 'stale' ? { tookOver: status.detail } : {}) };
  }
  throw new InputError(`run directory ${runDir}: could not take its lock, other controllers kept taking it first`);
}

/** Give the lock up; a no-op when it is gone or no longer ours (taken over). Safe to call twice. */
export function releaseRunLock(lock: RunLock): void {
  if (readText(lock.path) !== lock.text) return;
  try {
    unlinkSync(lock.path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Is the run directory's lock held, stale or absent? A missing or damaged lock file is an answer, not an error. */
export function runLockState(runDir: string): RunLockStatus {
  return inspect(join(runDir, RUN_LOCK_FILE)).status;
}

/** The lock's status and the text it was judged on. */
function inspect(path: string): { status: RunLockStatus; text?: string } {
  const text = readText(path);
  if (text === undefined) return { status: { state: 'none', detail: 'no lock' } };
  const holder = parseLock(text);
  if (!holder) {
    // The holder died between creating the file and writing its one line, or someone damaged it.
    const ageMs = Date.now() - mtimeMs(path);
    const status: RunLockStatus =
      ageMs > UNREADABLE_STALE_MS
        ? {
            state: 'stale',
            detail: `stale: ${RUN_LOCK_FILE} holds no lock (empty or damaged), ${Math.round(ageMs / 1000)} s old`,
          }
        : { state: 'held', detail: `${RUN_LOCK_FILE} is being written` };
    return { status, text };
  }
  const who = `pid ${holder.pid} on ${holder.hostname} (firebreak ${holder.version}, since ${holder.startedAt})`;
  if (holder.hostname !== os.hostname()) {
    const detail = `held by ${who}: another host, so whether that process still runs cannot be checked from here`;
    return { status: { state: 'held', holder, detail }, text };
  }
  const gone = whyGone(holder);
  const status: RunLockStatus = gone
    ? { state: 'stale', holder, detail: `stale: ${who} ${gone}` }
    : { state: 'held', holder, detail: `held by ${who}, which is running` };
  return { status, text };
}

/** Why the holder (of this host) no longer holds the lock, or undefined when it is alive. */
function whyGone(holder: RunLockInfo): string | undefined {
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return 'is no longer running';
  }
  const stat = procStat(holder.pid);
  if (!stat) return undefined; // no /proc: a live pid is all we can tell
  if (stat.state === 'Z' || stat.state === 'X') return 'has exited (a zombie)';
  if (holder.procStart !== undefined && stat.start !== holder.procStart)
    return 'is no longer running (its pid now belongs to another process)';
  return undefined;
}

/** `/proc/<pid>/stat`: the state (field 3) and start time in clock ticks after boot (field 22). */
function procStat(pid: number): { state: string; start: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2, the command name, is in parentheses and may itself hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]);
  return fields[0] && Number.isSafeInteger(start) ? { state: fields[0], start } : undefined;
}

function procStartOf(pid: number): { procStart?: number } {
  const stat = procStat(pid);
  return stat ? { procStart: stat.start } : {};
}

function parseLock(text: string): RunLockInfo | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const d = doc as Partial<RunLockInfo> | null;
  if (!d || typeof d !== 'object' || !Number.isSafeInteger(d.pid) || (d.pid as number) <= 0) return undefined;
  if (typeof d.hostname !== 'string' || typeof d.startedAt !== 'string') return undefined;
  return {
    pid: d.pid as number,
    hostname: d.hostname,
    startedAt: d.startedAt,
    ...(Number.isSafeInteger(d.procStart) ? { procStart: d.procStart } : {}),
    version: typeof d.version === 'string' ? d.version : 'unknown',
    ...(d.tookOver && typeof d.tookOver === 'object' ? { tookOver: d.tookOver } : {}),
  };
}

function withoutTookOver(info: RunLockInfo): Omit<RunLockInfo, 'tookOver'> {
  const { tookOver: _, ...rest } = info;
  return rest;
}

/**
 * Move a stale lock out of the way, but only the one judged stale: rename is atomic, so of two
 * controllers taking over at once one gets the file; the other finds that what it moved is not what
 * it judged (the winner's new lock), puts it back and tries again. False: nothing was moved.
 */
function moveAside(path: string, judged: string | undefined): boolean {
  const aside = `${path}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const moved = readText(aside);
  if (moved !== judged) {
    try {
      linkSync(aside, path); // EEXIST: yet another controller took the lock meanwhile; it is theirs
    } catch {
      // nothing to put back over
    }
    unlinkSync(aside);
    return false;
  }
  unlinkSync(aside);
  return true;
}

/** Create the file only if it does not exist (O_EXCL), with its whole text in one write. */
function writeExclusive(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}
