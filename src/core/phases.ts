/** The four phases of a response, always run in this order. */
export const PHASES = ['isolate', 'collect', 'rebuild', 'restore'] as const;
export type PhaseName = (typeof PHASES)[number];

/** How one step ended on one host. */
export const StepStatus = {
  /** Ran and succeeded without changing the host (read-only steps). */
  ok: 'ok',
  /** Ran, succeeded, and changed the host (uploads, destructive steps). */
  changed: 'changed',
  /** Ran and failed (exit code, failed_when, timeout). */
  failed: 'failed',
  /** Failed, but `ignore_errors` said to carry on. */
  ignored: 'ignored',
  /** Not run: `when` was false, tags excluded it, or the host had already failed. */
  skipped: 'skipped',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

/** Where a host stands in the run. */
export const HostState = {
  /** Waiting for its batch or a free fork. */
  pending: 'pending',
  /** Opening its SSH connection. */
  connecting: 'connecting',
  /** Running steps. */
  running: 'running',
  /** Finished every step of every phase. */
  ok: 'ok',
  /** A step failed (not ignored). */
  failed: 'failed',
  /** Could not be reached or authenticated. */
  unreachable: 'unreachable',
  /** Stopped by abort or max-fail before it finished. */
  aborted: 'aborted',
} as const;
export type HostState = (typeof HostState)[keyof typeof HostState];
