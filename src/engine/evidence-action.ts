/**
 * Applying an `evidence` action: run the wrapped command with stdout streamed raw to a file, store
 * that file in the run's evidence store (hashed again on the controller), compare with the hash the
 * host reported, and journal the artifact. The spill file is removed once the store has its copy.
 */
import { closeSync, fstatSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import {
  EnvironmentError,
  isDiskFullError,
  parseEvidenceTrailer,
  type Action,
  type ExecResult,
  type StoredArtifact,
} from '../core/index.js';
import { freeBytes, freeSpaceReserve, type EvidenceTarget } from '../evidence/index.js';
import type { CollectedOutput } from './executor-types.js';
import type { HostSession } from './session.js';

/** Parsers read at most this much of an artifact (the artifact itself is stored whole). */
export const MAX_ANALYZED_BYTES = 32 * 1024 * 1024;

export type EvidenceAction = Extract<Action, { kind: 'evidence' }>;

export interface EvidenceRun {
  session: HostSession;
  store: EvidenceTarget;
  step: string;
  timeoutMs: number;
  become: import('../core/index.js').Become | undefined;
  signal: AbortSignal;
  /** Local file prefix for the raw stdout while it streams in. */
  spillPrefix: string;
}

export interface EvidenceOutcome {
  artifact: StoredArtifact;
  output: CollectedOutput;
  /** Why this artifact is not trustworthy or complete (hash mismatch, timeout); undefined when fine. */
  problem?: string;
  /** stderr of the command, without our markers. */
  stderr: string;
}

function readHead(file: string | undefined, max: number): { text: string; truncated: boolean } {
  if (!file) return { text: '', truncated: false };
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(max + 1);
    const n = readSync(fd, buf, 0, max + 1, 0);
    return { text: buf.subarray(0, Math.min(n, max)).toString('utf8'), truncated: n > max };
  } finally {
    closeSync(fd);
  }
}

/** The marker a size cap leaves in an artifact (src/facts/sh.ts). */
const TRUNCATED = /^# truncated at \d+ bytes/m;

/** The last `max` bytes of a file, as text. */
function readTail(file: string | undefined, max: number): string {
  if (!file) return '';
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(max, size));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The command's run on the host, before its output is stored. */
export interface Acquired {
  startedAt: string;
  result: ExecResult;
}

/** How often the controller's free space is checked while one artifact streams in. */
const DISK_CHECK_MS = 500;

/**
 * Run the evidence command; its stdout streams to a local spill file. The slow, remote half. One
 * artifact can be gigabytes (a bodyfile), so the run directory's free space is watched while it
 * streams: below the reserve the command is killed, its partial output removed (it would not fit
 * with the seal), and the run stops like any full disk (exit 6).
 */
export async function acquireEvidence(run: EvidenceRun, action: EvidenceAction): Promise<Acquired> {
  const startedAt = new Date().toISOString();
  const reserve = freeSpaceReserve();
  const full = new AbortController();
  const watch = setInterval(() => {
    if (freeBytes(run.store.runDir) < reserve) full.abort();
  }, DISK_CHECK_MS);
  let result: ExecResult | undefined;
  try {
    result = await run.session.t.exec(action.command, {
      timeoutMs: run.timeoutMs,
      ...(action.become && run.become ? { become: run.become } : {}),
      spillPrefix: run.spillPrefix,
      stdoutToFile: true,
      signal: AbortSignal.any([run.signal, full.signal]),
    });
  } catch (e) {
    // The disk can fill between two checks: the failed write is the same stop, not a host failure.
    if (!isDiskFullError(e)) throw e;
  } finally {
    clearInterval(watch);
  }
  // A command quicker than the watch leaves its whole output spilled: it must still fit with the
  // store's copy of it above the reserve, or storing it would eat the reserve (or hit ENOSPC).
  const copyBytes = result?.stdoutFile ? fileSize(result.stdoutFile) : 0;
  if (!result || full.signal.aborted || freeBytes(run.store.runDir) - copyBytes < reserve)
    throw diskFilled(run, action, reserve);
  return { startedAt, result };
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The run stops (exit 6) like any full disk; the artifact's partial spill files go. */
function diskFilled(run: EvidenceRun, action: EvidenceAction, reserve: number): EnvironmentError {
  for (const f of ['stdout', 'stderr']) rmSync(`${run.spillPrefix}.${f}`, { force: true });
  const mib = Math.floor(freeBytes(run.store.runDir) / 2 ** 20);
  return new EnvironmentError(
    `the controller's disk filled while ${action.label} was being collected (${mib} MiB free on the filesystem of ${run.store.runDir}, below the reserve of ${Math.floor(reserve / 2 ** 20)} MiB): ` +
      `the command was stopped and its partial output removed; what is stored so far is sealed with the run. ` +
      `Free space there or give --runs-dir on another filesystem (FIREBREAK_MIN_FREE_MB sets the reserve)`,
  );
}

/** Store what was acquired (hashed again here), compare with the host's hash. The local, quick half. */
export async function storeEvidence(
  run: EvidenceRun,
  action: EvidenceAction,
  { startedAt, result: r }: Acquired,
): Promise<EvidenceOutcome> {
  const host = run.session.host.name;
  const trailer = parseEvidenceTrailer(r.stderr);
  const { text, truncated } = readHead(r.stdoutFile, MAX_ANALYZED_BYTES);
  const acquisition = {
    startedAt,
    durationMs: r.durationMs,
    exitCode: trailer.rc ?? null,
    signal: r.signal,
    timedOut: r.timedOut,
    truncated: TRUNCATED.test(text) || (truncated && TRUNCATED.test(readTail(r.stdoutFile, 64 * 1024))),
    stderr: trailer.stderr,
    ...(trailer.bytes !== null ? { bytesAtSource: trailer.bytes } : {}),
    ...(action.become && run.become ? { become: run.become.user } : {}),
    ...(trailer.file ? { file: trailer.file } : {}),
  };
  const input = { host, step: run.step, source: action.source, sha256AtSource: trailer.sha256, acquisition };
  let stored;
  try {
    stored = r.stdoutFile
      ? await run.store.addFile(input, r.stdoutFile)
      : await run.store.addBytes(input, Buffer.alloc(0));
  } catch (e) {
    // Other artifacts streaming in at the same time can take what this one's copy needed.
    if (isDiskFullError(e)) throw diskFilled(run, action, freeSpaceReserve());
    throw e;
  }
  if (r.stdoutFile) rmSync(r.stdoutFile, { force: true });
  if (r.stderrFile) rmSync(r.stderrFile, { force: true });
  const artifact: StoredArtifact = {
    id: stored.id,
    label: action.label,
    source: action.source,
    size: stored.size,
    sha256: stored.sha256AtRest,
    sha256AtSource: stored.sha256AtSource,
    match: stored.match,
    rc: trailer.rc,
  };
  const problem = r.timedOut
    ? `${action.label}: timed out after ${r.durationMs} ms (partial output kept)`
    : r.signal
      ? `${action.label}: killed by ${r.signal}`
      : stored.match === false
        ? `${action.label}: SHA-256 on the host (${stored.sha256AtSource ?? '?'}) differs from the controller's (${stored.sha256AtRest})${trailer.bytes !== null && trailer.bytes !== stored.size ? `; the host sent ${trailer.bytes} bytes, ${stored.size} were stored` : ''}`
        : stored.match === null
          ? `${action.label}: the host reported no SHA-256 (is sha256sum missing?)`
          : undefined;
  return {
    artifact,
    output: {
      label: action.label,
      source: action.source,
      text,
      truncated,
      rc: trailer.rc,
      sha256: stored.sha256AtRest,
    },
    ...(problem ? { problem } : {}),
    stderr: trailer.stderr,
  };
}
