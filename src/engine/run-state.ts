/**
 * What became of a run, from its run directory alone, for `firebreak runs list` (and `resume`, which
 * must not touch a run another controller is still writing):
 *
 * - `summary.json` present: the run ended. `aborted` when the summary names why it stopped early (a
 *   signal, a refused confirmation, max_fail_percentage, a failed journal write), else `finished`;
 *   either way with its exit code. The summary is written atomically, after the journal's last line.
 * - no summary, and the run lock held by a live process (or by one of another host, which cannot be
 *   checked): `running`.
 * - no summary, and the lock stale (its holder died: SIGKILL, OOM, a power cut) or gone: `crashed`.
 *
 * The journal is read at its two ends only, tolerantly: a torn last line (a controller killed
 * mid-write) is noted, never thrown.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { InputError, JOURNAL_FILE, type EventOf } from '../core/index.js';
import { readJournalEnds, type JournalEnds } from '../journal/index.js';
import { SUMMARY_FILE } from './run-dir.js';
import { RUN_LOCK_FILE, runLockState, type RunLockInfo } from './run-lock.js';

/** How a run stands. */
export type RunStateName =
  /** A controller is still writing it: no summary yet, and its lock is held by a live process. */
  | 'running'
  /** It ended with every phase it was going to run (its exit code says whether hosts failed). */
  | 'finished'
  /** It ended early, and its summary says why: a signal, a refused confirmation, max_fail_percentage. */
  | 'aborted'
  /** Its controller died before the end: no summary, and no live process holds its lock. */
  | 'crashed';

/** One run as `runs list` shows it. Fields a damaged run directory does not tell are absent. */
export interface RunInfo {
  runId: string;
  /** Absolute path of the run directory. */
  runDir: string;
  runbook?: string;
  /** ISO-8601 UTC. */
  startedAt?: string;
  state: RunStateName;
  /** Present once the run has ended (`finished`, `aborted`). */
  exitCode?: number;
  hosts?: number;
  /** When its journal's last whole event was written. */
  lastEventAt?: string;
  /** The journal ends in a line cut short by a controller that died mid-write. */
  journalTorn: boolean;
  /** The controller that holds (running) or held (crashed, stale lock) the run lock. */
  lock?: RunLockInfo;
  /** One sentence: why it was aborted, who holds the lock, or why the lock is stale. */
  detail?: string;
}

/** The fields of `summary.json` a listing uses. */
interface SummaryFields {
  runId?: string;
  runbook?: string;
  startedAt?: string;
  exitCode?: number;
  aborted?: string;
  /** `counts.hosts` */
  hosts?: number;
}

/** A directory is a run directory when it holds a journal, a summary or a run lock. */
export function isRunDir(dir: string): boolean {
  try {
    const names = new Set(readdirSync(dir));
    return names.has(JOURNAL_FILE) || names.has(SUMMARY_FILE) || names.has(RUN_LOCK_FILE);
  } catch {
    return false;
  }
}

/** The state of one run directory. */
export function runState(runDir: string): RunInfo {
  const dir = resolve(runDir);
  const ends = readEnds(join(dir, JOURNAL_FILE));
  const started = ends.first?.type === 'run.started' ? (ends.first as EventOf<'run.started'>) : undefined;
  const summary = readSummary(join(dir, SUMMARY_FILE));
  const base = {
    runId: started?.runId ?? summary?.runId ?? basename(dir),
    runDir: dir,
    runbook: summary?.runbook ?? started?.runbook,
    startedAt: summary?.startedAt ?? started?.at,
    hosts: summary?.hosts ?? (Array.isArray(started?.hosts) ? started.hosts.length : undefined),
    lastEventAt: ends.last?.at,
    journalTorn: ends.torn,
  };
  if (summary) {
    const aborted = summary.aborted !== undefined;
    return {
      ...base,
      state: aborted ? 'aborted' : 'finished',
      exitCode: summary.exitCode,
      detail: summary.aborted,
    };
  }
  const lock = runLockState(dir);
  return {
    ...base,
    state: lock.state === 'held' ? 'running' : 'crashed',
    lock: lock.holder,
    detail: lock.state === 'none' ? undefined : `run lock ${lock.detail}`,
  };
}

/**
 * Every run under `runsDir`, newest first; entries that are not run directories are passed over. A
 * runs directory that does not exist has no runs; a path that is not a directory is an input error.
 */
export function listRuns(runsDir: string): RunInfo[] {
  let entries;
  try {
    entries = readdirSync(runsDir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR') throw new InputError(`--runs-dir ${runsDir} is not a directory`);
    throw err;
  }
  const runs = entries
    .filter((e) => e.isDirectory() && isRunDir(join(runsDir, e.name)))
    .map((e) => runState(join(runsDir, e.name)));
  // Run ids start with a UTC timestamp, so they sort by start too; a recorded start time wins.
  const key = (r: RunInfo): string => `${r.startedAt ?? ''}\u0000${r.runId}`;
  return runs.sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
}

function readEnds(journal: string): JournalEnds {
  try {
    return readJournalEnds(journal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { torn: false };
    throw err;
  }
}

/** A summary that cannot be read as one is taken as no summary: the run did not end cleanly. */
function readSummary(file: string): SummaryFields | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const s = (doc ?? {}) as Record<string, unknown>;
  if (typeof s.exitCode !== 'number') return undefined;
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const hosts = (s.counts as { hosts?: unknown } | undefined)?.hosts;
  return {
    exitCode: s.exitCode,
    runId: text(s.runId),
    runbook: text(s.runbook),
    startedAt: text(s.startedAt),
    aborted: text(s.aborted),
    hosts: typeof hosts === 'number' ? hosts : undefined,
  };
}
