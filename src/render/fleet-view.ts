/**
 * The live view of a phase too big for a row per host, bounded whatever the fleet size so that the
 * frames of every phase fit one screen at 1,000 hosts:
 *
 *   running "ss -tnp": 40 · "hostname": 12                       (what the running hosts are doing)
 *   web0412  running     ss -tnp 31.2s                            (the longest-running few)
 *   ✖ web[0008,0039,…] failed (33): `ss -tnp` exited with code 1  (failures grouped by reason)
 *   … and 915 more: 880 ok, 35 running                            (everyone not named above)
 *
 * Line count is bounded by the options, line width by `width` (host lists are cut, never wrapped).
 */
import type { HostState } from '../core/index.js';
import { compressHostsWithin } from './hostlist.js';
import { BAD, firstLine, formatHostRows, type HostRow } from './host-row.js';
import { sharedReason } from './reason.js';

export interface FleetViewOptions {
  /** Longest-running hosts listed by name (default 5). */
  maxRunningListed?: number;
  /** Failure reasons listed, biggest group first (default 5); the rest share one line. */
  maxFailureGroups?: number;
  /** Characters a host list may take on one line (default 60). */
  hostListWidth?: number;
}

/** Display order of states in the summary line. */
const SUMMARY_ORDER: readonly HostState[] = [
  'ok',
  'running',
  'connecting',
  'pending',
  'failed',
  'unreachable',
  'aborted',
];

export function fleetLines(rows: readonly HostRow[], nowMs: number, opts: FleetViewOptions = {}): string[] {
  const listWidth = opts.hostListWidth ?? 60;
  const named = new Set<string>();
  const lines: string[] = [];

  const running = rows.filter((r) => r.state === 'running' || r.state === 'connecting');
  const steps = countBy(running.filter((r) => r.step).map((r) => r.step!));
  if (steps.length) {
    const shown = steps.slice(0, 3).map(([step, n]) => `"${step}": ${n}`);
    lines.push(`running ${shown.join(' · ')}${steps.length > 3 ? ` · ${steps.length - 3} more step(s)` : ''}`);
  }

  const slowest = [...running]
    .sort((a, b) => (a.startedMs ?? Infinity) - (b.startedMs ?? Infinity))
    .slice(0, opts.maxRunningListed ?? 5);
  for (const r of slowest) named.add(r.host);
  lines.push(...formatHostRows(slowest, nowMs));

  const groups = failureGroups(rows);
  const maxGroups = opts.maxFailureGroups ?? 5;
  for (const g of groups.slice(0, maxGroups)) {
    for (const r of g.rows) named.add(r.host);
    const [one] = g.rows;
    lines.push(
      g.rows.length === 1
        ? `✖ ${one!.host} ${one!.state}: ${firstLine(one!.message) ?? ''}`.trimEnd()
        : `✖ ${compressHostsWithin(hostsOf(g.rows), listWidth)} ${g.state} (${g.rows.length}): ${g.reason}`.trimEnd(),
    );
  }
  const hidden = groups.slice(maxGroups).flatMap((g) => g.rows);
  if (hidden.length) {
    for (const r of hidden) named.add(r.host);
    const reasons = groups.length - maxGroups;
    lines.push(
      `✖ … and ${hidden.length} more host(s), ${reasons} other reason(s): ${compressHostsWithin(hostsOf(hidden), listWidth)}`,
    );
  }

  const rest = rows.filter((r) => !named.has(r.host));
  if (rest.length) {
    const counts = new Map(countBy(rest.map((r) => r.state)));
    const summary = SUMMARY_ORDER.filter((s) => counts.get(s)).map((s) => `${counts.get(s)} ${s}`);
    lines.push(`${lines.length ? `… and ${rest.length} more` : `${rest.length} host(s)`}: ${summary.join(', ')}`);
  }
  return lines;
}

interface FailureGroup {
  state: HostState;
  reason: string;
  rows: HostRow[];
}

/** Failed and unreachable hosts by state and shared reason; biggest group first, then first seen. */
function failureGroups(rows: readonly HostRow[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  for (const r of rows) {
    if (!BAD.has(r.state)) continue;
    const reason = sharedReason(r.host, r.message);
    const key = `${r.state}\u0000${reason}`;
    const g = groups.get(key);
    if (g) g.rows.push(r);
    else groups.set(key, { state: r.state, reason, rows: [r] });
  }
  return [...groups.values()].sort((a, b) => b.rows.length - a.rows.length);
}

/** Values with how often each occurs, most frequent first, ties in order of first appearance. */
function countBy<T>(values: readonly T[]): Array<[T, number]> {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]);
}

function hostsOf(rows: readonly HostRow[]): string[] {
  return rows.map((r) => r.host);
}
