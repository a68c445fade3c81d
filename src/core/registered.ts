/**
 * The value `register:` stores and `failed_when` / `until` look at (Ansible's names where they exist).
 * One definition for the engine (which fills it) and the runbook templates (which read it).
 */
import type { ExecResult } from './exec.js';
import type { StoredArtifact } from './events.js';
import type { Finding } from './finding.js';

export interface RegisteredResult {
  /** First non-zero exit among the step's commands, else 0; null when killed by a signal or nothing ran. */
  rc: number | null;
  stdout: string;
  stderr: string;
  stdout_lines: string[];
  stderr_lines: string[];
  signal: string | null;
  timedOut: boolean;
  /** While failed_when/until run: the default rule (rc != 0 or timeout). Afterwards: the verdict. */
  failed: boolean;
  changed: boolean;
  skipped: boolean;
  duration_ms: number;
  attempts: number;
  /** Evidence the step stored (collect, backup, kill_process). */
  artifacts?: StoredArtifact[];
  /** What the step's parsers concluded (collect, verify_packages, rootkit_scan): later steps can use them. */
  findings?: Finding[];
}

/** The result registered for a skipped step. */
export function skippedResult(): RegisteredResult {
  return {
    rc: null,
    stdout: '',
    stderr: '',
    stdout_lines: [],
    stderr_lines: [],
    signal: null,
    timedOut: false,
    failed: false,
    changed: false,
    skipped: true,
    duration_ms: 0,
    attempts: 0,
  };
}

/** The registered result of one command (`failed` is the exit-code rule; failed_when may override). */
export function resultFromExec(
  r: Pick<ExecResult, 'code' | 'stdout' | 'stderr' | 'durationMs' | 'timedOut'>,
  changes: boolean,
): RegisteredResult {
  const failed = r.timedOut || r.code !== 0;
  const lines = (t: string): string[] => (t === '' ? [] : t.replace(/\r?\n$/, '').split(/\r?\n/));
  return {
    rc: r.code,
    stdout: r.stdout,
    stderr: r.stderr,
    stdout_lines: lines(r.stdout),
    stderr_lines: lines(r.stderr),
    signal: null,
    timedOut: r.timedOut,
    failed,
    changed: changes && !failed,
    skipped: false,
    duration_ms: r.durationMs,
    attempts: 1,
  };
}
