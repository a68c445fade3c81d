/**
 * Ansible's `serial` and `max_fail_percentage`, as pure functions.
 * `serial: 2` → batches of 2; `"30%"` → 30 % of the hosts (at least 1); `[1, 5, "50%"]` → a first batch
 * of 1, then 5, then 50 % batches until the hosts run out (the last value repeats).
 */
import type { Serial } from './executor-types.js';

/** Size of one `serial` entry for `total` hosts. Throws on a value that is not a size. */
export function batchSize(entry: number | string, total: number): number {
  if (typeof entry === 'number') {
    if (!Number.isInteger(entry) || entry < 0) throw new Error(`serial: ${entry} is not a whole number`);
    return entry === 0 ? total : entry;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(entry);
  if (m) return Math.max(1, Math.floor((total * Number(m[1])) / 100));
  if (/^\s*\d+\s*$/.test(entry)) return batchSize(Number(entry), total);
  throw new Error(`serial: ${JSON.stringify(entry)} is neither a number nor a percentage`);
}

/** Split hosts into consecutive batches, keeping their order. No `serial` → one batch. */
export function splitBatches<T>(hosts: readonly T[], serial?: Serial): T[][] {
  if (hosts.length === 0) return [];
  if (serial === undefined) return [[...hosts]];
  const entries = Array.isArray(serial) ? serial : [serial as number | string];
  if (entries.length === 0) return [[...hosts]];
  const out: T[][] = [];
  let at = 0;
  for (let i = 0; at < hosts.length; i++) {
    const size = batchSize(entries[Math.min(i, entries.length - 1)]!, hosts.length);
    out.push(hosts.slice(at, at + size));
    at += size;
  }
  return out;
}

/** Ansible's rule: the batch is lost when *more than* `pct` percent of its hosts failed. */
export function maxFailExceeded(failed: number, batchHosts: number, pct: number | undefined): boolean {
  if (pct === undefined || batchHosts === 0 || failed === 0) return false;
  return (failed / batchHosts) * 100 > pct;
}
