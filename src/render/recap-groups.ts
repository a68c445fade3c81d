/**
 * The recap's host table for a big fleet: hosts with the same state, the same counts and the same
 * failure reason (their own name taken out) become one row under a compressed host list, the way
 * identical outputs are grouped, so 1,000 hosts with three outcomes take three rows, not 1,000.
 * The host list is never shortened: every host stays findable in the recap.
 */
import type { HostRecap } from '../core/index.js';
import { compressHosts } from './hostlist.js';
import { sharedReason } from './reason.js';

export interface HostRecapGroup {
  /** The rows of the group, in the order given (inventory order). */
  rows: HostRecap[];
  /** The failure (or early end) reason shared by the group; undefined for hosts that just finished. */
  reason?: string;
}

/** `ok=5 changed=0 …`: the counts of one host, the part of a row a group shares. */
export function countsOf(r: HostRecap): string {
  return `ok=${r.ok} changed=${r.changed} failed=${r.failed} unreachable=${r.unreachable ? 1 : 0} skipped=${r.skipped} ignored=${r.ignored}`;
}

/**
 * What a row says after its counts: why it failed, or why its run ended early (`end_host`), with the
 * evidence that rests on in a host's own row (a group shares the reason, not the artifact ids).
 */
export function recapNote(r: HostRecap, basis = true): string | undefined {
  if (r.message && r.state !== 'ok') return r.message.split('\n')[0];
  if (r.ended === undefined) return undefined;
  return `ended: ${r.ended}${basis && r.endedBasis ? ` (${r.endedBasis})` : ''}`;
}

/** Group rows by state, counts and shared reason; groups in order of first appearance. */
export function groupHostRecap(recap: readonly HostRecap[]): HostRecapGroup[] {
  const groups = new Map<string, HostRecapGroup>();
  for (const r of recap) {
    const note = recapNote(r, false);
    const reason = note !== undefined ? sharedReason(r.host, note) : undefined;
    const key = `${r.state}\u0000${countsOf(r)}\u0000${reason ?? ''}`;
    const g = groups.get(key);
    if (g) g.rows.push(r);
    else groups.set(key, { rows: [r], reason });
  }
  return [...groups.values()];
}

/** Host lists longer than this are not padded to: one huge list must not push every row's columns right. */
const MAX_PADDED_HOSTS = 40;

/**
 * One row per group, groups already in display order: `web[001-950]  ok (950 hosts)  ok=5 …  reason`.
 * A group of one host is the plain per-host row (its own message, host name included).
 */
export function formatGroupedHostRecap(groups: readonly HostRecapGroup[]): string[] {
  const cells = groups.map((g) => {
    const first = g.rows[0]!;
    if (g.rows.length === 1) {
      return { hosts: first.host, state: first.state, counts: countsOf(first), why: recapNote(first) };
    }
    const hosts = compressHosts(g.rows.map((r) => r.host));
    return { hosts, state: `${first.state} (${g.rows.length} hosts)`, counts: countsOf(first), why: g.reason };
  });
  const hostWidth = Math.max(4, ...cells.map((c) => c.hosts.length).filter((n) => n <= MAX_PADDED_HOSTS));
  const stateWidth = Math.max(11, ...cells.map((c) => c.state.length));
  return cells.map(
    (c) => `${c.hosts.padEnd(hostWidth)}  ${c.state.padEnd(stateWidth)}  ${c.counts}${c.why ? `  ${c.why}` : ''}`,
  );
}
