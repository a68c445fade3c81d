/**
 * The progress state behind the TTY renderer, as a pure fold over events plus pure views, so what the
 * screen shows is unit-tested without a terminal. Above `collapseAbove` hosts a phase collapses to a
 * bounded fleet view (fleet-view.ts), so 1,000 hosts stay on one screen.
 */
import type { HostState, PhaseName, RunEvent } from '../core/index.js';
import { fleetLines, type FleetViewOptions } from './fleet-view.js';
import { BAD, formatHostRows, type HostRow } from './host-row.js';

export type { HostRow } from './host-row.js';

export interface PhaseProgress {
  phase: PhaseName;
  batch: number;
  batches: number;
  status: 'pending' | 'running' | 'done';
  /** Every host of the phase so far, in batch order. */
  rows: Map<string, HostRow>;
}

/** Display order of states in collapsed counts. */
const STATE_ORDER: readonly HostState[] = [
  'running',
  'connecting',
  'pending',
  'ok',
  'failed',
  'unreachable',
  'aborted',
];

export class ProgressModel {
  readonly phases = new Map<PhaseName, PhaseProgress>();
  aborted?: string;
  finished = false;

  apply(e: RunEvent): void {
    const ms = Date.parse(e.at);
    switch (e.type) {
      case 'run.started':
        for (const p of e.phases)
          this.phases.set(p, { phase: p, batch: 0, batches: 0, status: 'pending', rows: new Map() });
        return;
      case 'phase.started': {
        const p = this.phase(e.phase);
        p.status = 'running';
        p.batch = e.batch;
        p.batches = e.batches;
        for (const h of e.hosts) p.rows.set(h, { host: h, state: 'pending' });
        return;
      }
      case 'phase.finished':
        if (e.batch === e.batches) this.phase(e.phase).status = 'done';
        return;
      case 'host.started':
        Object.assign(this.row(e.phase, e.host), { state: 'running', startedMs: ms });
        return;
      case 'step.started':
        this.row(e.phase, e.host).step = e.step;
        return;
      case 'host.waiting':
        this.row(e.phase, e.host).step = `waiting for a worker of segment ${e.segment}`;
        return;
      case 'host.ended':
        this.row(e.phase, e.host).step = `ended: ${e.reason}`;
        return;
      case 'host.failed':
        Object.assign(this.row(e.phase, e.host), { state: 'failed', message: e.message });
        return;
      case 'host.unreachable':
        Object.assign(this.row(e.phase, e.host), { state: 'unreachable', message: e.message });
        return;
      case 'host.finished': {
        const r = this.row(e.phase, e.host);
        if (!BAD.has(r.state)) r.state = e.state;
        r.endedMs = ms;
        return;
      }
      case 'run.aborted':
        this.aborted = e.reason;
        return;
      case 'run.finished':
        this.finished = true;
        for (const p of this.phases.values()) if (p.status === 'running') p.status = 'done';
        return;
      default:
        return;
    }
  }

  private phase(name: PhaseName): PhaseProgress {
    let p = this.phases.get(name);
    if (!p) {
      p = { phase: name, batch: 0, batches: 0, status: 'pending', rows: new Map() };
      this.phases.set(name, p);
    }
    return p;
  }

  private row(phase: PhaseName, host: string): HostRow {
    const p = this.phase(phase);
    let r = p.rows.get(host);
    if (!r) {
      r = { host, state: 'pending' };
      p.rows.set(host, r);
    }
    return r;
  }
}

/** Hosts per state, in display order, zero counts omitted. */
export function stateCounts(p: PhaseProgress): Array<[HostState, number]> {
  const counts = new Map<HostState, number>();
  for (const r of p.rows.values()) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  return STATE_ORDER.filter((s) => counts.get(s)).map((s) => [s, counts.get(s)!]);
}

/** `collect (batch 2/3): 3 running, 12 ok, 1 failed`. */
export function phaseTitle(p: PhaseProgress): string {
  const batch = p.batches > 1 ? ` (batch ${p.batch}/${p.batches})` : '';
  const counts = stateCounts(p)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  return `${p.phase}${batch}${counts ? `: ${counts}` : ''}`;
}

export interface ViewOptions extends FleetViewOptions {
  /** Above this many hosts, show the bounded fleet view instead of a row per host (default 30). */
  collapseAbove?: number;
}

/** Lines under a phase: a row per host, or the bounded fleet view when the phase is large. */
export function phaseLines(p: PhaseProgress, nowMs: number, opts: ViewOptions = {}): string[] {
  const rows = [...p.rows.values()];
  if (rows.length <= (opts.collapseAbove ?? 30)) return formatHostRows(rows, nowMs);
  return fleetLines(rows, nowMs, opts);
}
