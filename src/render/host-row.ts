/**
 * One host's line in the live progress view (state, current step or failure reason, elapsed), shared
 * by the per-host view of a small phase and the slowest hosts listed in a big one.
 */
import type { HostState } from '../core/index.js';

export interface HostRow {
  host: string;
  state: HostState;
  /** Step running now, or the last one that ran. */
  step?: string;
  startedMs?: number;
  endedMs?: number;
  /** Why it failed or was unreachable. */
  message?: string;
}

export const BAD: ReadonlySet<HostState> = new Set<HostState>(['failed', 'unreachable']);

/** `web001  running     hostname 9.0s`, host names padded to the longest of `rows`. */
export function formatHostRows(rows: readonly HostRow[], nowMs: number): string[] {
  const width = Math.max(...rows.map((r) => r.host.length), 4);
  return rows.map((r) => {
    const elapsed = r.startedMs !== undefined ? ` ${seconds((r.endedMs ?? nowMs) - r.startedMs)}` : '';
    const detail = BAD.has(r.state) ? firstLine(r.message) : r.step;
    return `${r.host.padEnd(width)}  ${r.state.padEnd(11)}${detail ? ` ${detail}` : ''}${elapsed}`.trimEnd();
  });
}

function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

export function firstLine(s: string | undefined): string | undefined {
  return s?.split('\n')[0];
}
