/** Severity counting and ordering shared by the sections. */
import { severityRank, type FindingSeverity } from '../core/index.js';
import { SEVERITIES, type SeverityCounts } from './types.js';

export function zeroCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
}

export function countBySeverity(items: readonly { severity: FindingSeverity }[]): SeverityCounts {
  const c = zeroCounts();
  for (const i of items) if (i.severity in c) c[i.severity]++;
  return c;
}

export function isSevere(s: FindingSeverity): boolean {
  return severityRank(s) >= severityRank('high');
}

/** Known severities, for data read from files that might say anything. */
export function isSeverity(s: unknown): s is FindingSeverity {
  return typeof s === 'string' && (SEVERITIES as readonly string[]).includes(s);
}
