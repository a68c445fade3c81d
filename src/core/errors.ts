/**
 * Few error classes under one base. The CLI maps them to exit codes in one place (cli/exit.ts).
 * User errors point at the user's file, line and step; internal errors say "this is a bug".
 */

/** Exit codes of the firebreak CLI. */
export const ExitCode = {
  /** Every host finished every step. */
  Ok: 0,
  /** Unexpected internal error (a bug). */
  Internal: 1,
  /** Bad input: invalid runbook, inventory, params or arguments. Nothing ran. */
  BadInput: 2,
  /** Some hosts failed or were unreachable. */
  HostsFailed: 3,
  /** The run was aborted (signal, refused confirmation) or max_fail_percentage was exceeded. */
  Aborted: 4,
  /** Evidence failed verification: a hash or the manifest signature does not match. */
  EvidenceInvalid: 5,
  /** This machine cannot do what was asked (not root, a missing package, no namespaces): nothing was left behind. */
  Environment: 6,
  /** A game-day drill ran and its verdict is fail: a threshold of the drill file was missed. */
  DrillFailed: 7,
  /** `resume` refused: the run finished, another controller holds it, its plan or runbook changed. Nothing changed. */
  NotResumable: 8,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class FirebreakError extends Error {
  readonly exitCode: ExitCode = ExitCode.Internal;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem found while validating a user's file. */
export interface ValidationIssue {
  /** Machine-readable code, e.g. `invalid_type`, `unknown_step`. */
  code: string;
  /** Path inside the document, e.g. `phases.collect[2].timeout`. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
  /** Where in which file, when known. */
  file?: string;
  line?: number;
  col?: number;
}

/** Render an issue as `✖ message` / `→ at path (file:line:col)`. */
export function formatIssue(issue: ValidationIssue): string {
  const mark = issue.severity === 'error' ? '✖' : '⚠';
  const where = issue.file
    ? ` (${issue.file}${issue.line !== undefined ? `:${issue.line}:${issue.col ?? 1}` : ''})`
    : '';
  const at = issue.path || where ? `\n  → at ${issue.path || '(document)'}${where}` : '';
  return `${mark} ${issue.message}${at}`;
}

/** The user's input is wrong: a file, a flag, a pattern. Lists every issue found. */
export class InputError extends FirebreakError {
  override readonly exitCode: ExitCode = ExitCode.BadInput;
  constructor(
    message: string,
    readonly issues: ValidationIssue[] = [],
  ) {
    super(issues.length ? `${message}\n${issues.map(formatIssue).join('\n')}` : message);
  }
}

/** A host could not be reached or authenticated (wrong host key included). */
export class ConnectionError extends FirebreakError {
  constructor(
    readonly host: string,
    message: string,
    /** Stable reason for tests and reports. */
    readonly reason:
      'timeout' | 'refused' | 'dns' | 'auth' | 'hostkey-unknown' | 'hostkey-changed' | 'closed' | 'jump' | 'other',
    options?: { cause?: unknown },
  ) {
    super(`${host}: ${message}`, options);
  }
}

/** The run was stopped by a signal, a refused confirmation or max_fail_percentage. */
export class AbortError extends FirebreakError {
  override readonly exitCode: ExitCode = ExitCode.Aborted;
}

/** The machine lacks something (root, a package, kernel support); the message names the fix. */
export class EnvironmentError extends FirebreakError {
  override readonly exitCode: ExitCode = ExitCode.Environment;
}

/** A full disk or quota on this machine (ENOSPC, EDQUOT): its state, not a bug. */
export function isDiskFullError(err: unknown): err is NodeJS.ErrnoException {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** A run that `resume` must not continue; the message says why and what to do instead. */
export class NotResumableError extends FirebreakError {
  override readonly exitCode: ExitCode = ExitCode.NotResumable;
}

/** A bug in firebreak. */
export class InternalError extends FirebreakError {}
