/**
 * The result of running one command on one host. A non-zero exit is data, not an exception:
 * the step (or `failed_when`) decides what failure means.
 */
export interface ExecResult {
  command: string;
  /** Exit code; null when the process ended by signal or never reported one. */
  code: number | null;
  signal: string | null;
  /** Captured output, at most the in-memory cap; the full stream is in `stdoutFile` when it spilled. */
  stdout: string;
  stderr: string;
  /** Set when output exceeded the in-memory cap and was streamed to this local file instead. */
  stdoutFile?: string;
  stderrFile?: string;
  /** Total bytes seen on each stream (also beyond the cap). */
  stdoutBytes: number;
  stderrBytes: number;
  startedAt: string;
  durationMs: number;
  /** The command was killed because the step timeout expired. */
  timedOut: boolean;
  /** Streams whose spill file stopped at ExecOptions.maxFileBytes (the byte counts above are still whole). */
  capped?: ('stdout' | 'stderr')[];
}

/** Describe a failure the way a responder wants to read it: what ran, where, code, relevant stderr. */
export function describeExecFailure(host: string, r: ExecResult, maxStderrLines = 5): string {
  const how = r.timedOut
    ? `timed out after ${r.durationMs} ms`
    : r.signal
      ? `was killed by ${r.signal}`
      : `exited with code ${r.code}`;
  const lines = r.stderr.trim().split('\n').filter(Boolean);
  const tail = lines
    .slice(-maxStderrLines)
    .map((l) => `    ${l}`)
    .join('\n');
  return `${host}: \`${r.command}\` ${how}${tail ? `\n${tail}` : ''}`;
}
