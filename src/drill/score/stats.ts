/** Median, 95th percentile and maximum of durations, the way the scorecard reports them. */
import type { HostTime, TimeStats } from '../scorecard.js';

/** Seconds with one decimal: what a drill can honestly resolve. */
export function round1(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}

/**
 * Median (mean of the middle two for an even count), p95 by nearest rank (the smallest value with at
 * least 95 % of values at or below it: with 10 hosts, the slowest; with 20, the 19th) and maximum.
 */
export function timeStats(values: readonly number[]): TimeStats {
  if (values.length === 0) return { count: 0, median: null, p95: null, max: null };
  const v = [...values].sort((a, b) => a - b);
  const p95 = v[Math.ceil(0.95 * v.length) - 1] as number;
  return {
    count: v.length,
    median: round1(median(v) as number),
    p95: round1(p95),
    max: round1(v[v.length - 1] as number),
  };
}

/** The middle value (the mean of the middle two for an even count); undefined for none. */
export function median(values: readonly number[]): number | undefined {
  const v = [...values].sort((a, b) => a - b);
  return v.length ? ((v[(v.length - 1) >> 1] as number) + (v[v.length >> 1] as number)) / 2 : undefined;
}

export function hostTimeStats(times: readonly HostTime[]): TimeStats {
  return timeStats(times.map((t) => t.seconds));
}
