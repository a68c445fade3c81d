/**
 * Fleet-wide statistics of per-host durations. Median: the middle value (mean of the two middle
 * ones for an even count). p95: nearest rank (the smallest value with at least 95 % of the values at
 * or below it), so it is always a time some host actually took.
 */
import type { FleetStat } from './types.js';

export function median(sorted: readonly number[]): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const mid = Math.floor(n / 2);
  return n % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile `p` (0 < p ≤ 100) of ascending values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Count, median, p95 and max of the hosts that have a value, out of `of` hosts. */
export function fleetStat(values: readonly (number | null)[], of: number): FleetStat {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  return {
    count: sorted.length,
    of,
    medianMs: median(sorted),
    p95Ms: percentile(sorted, 95),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : null,
  };
}

/** Milliseconds from `from` to `to` (ISO times); null when either is unknown. */
export function between(from: string | null | undefined, to: string | null | undefined): number | null {
  if (!from || !to) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? ms : null;
}
