/**
 * The progress state behind the TTY renderer, as a pure fold over events plus pure views, so what the
 * screen shows is unit-tested without a terminal. Above `collapseAbove` hosts a phase collapses to
 * counts per state plus the failing hosts, so 500 hosts stay on one screen.
 */
import type { HostState, PhaseName, RunEvent } from '../core/index.js';
import { compressHosts } from './hostlist.js';

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
const BAD: ReadonlySet<HostState> = new Set<HostState>(['failed', 'unreachable']);

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

export interface ViewOptions {
  /** Above this many hosts, collapse to counts (default 30). */
  collapseAbove?: number;
  /** Failing hosts listed when collapsed (default 10). */
  maxFailuresListed?: number;
}

/** Lines under a phase: a row per host, or counts plus failing hosts when the phase is large. */
export function phaseLines(p: PhaseProgress, nowMs: number, opts: ViewOptions = {}): string[] {
  const rows = [...p.rows.values()];
  if (rows.length <= (opts.collapseAbove ?? 30)) {
    const width = Math.max(...rows.map((r) => r.host.length), 4);
    return rows.map((r) => {
      const elapsed = r.startedMs !== undefined ? ` ${seconds((r.endedMs ?? nowMs) - r.startedMs)}` : '';
      const detail = BAD.has(r.state) ? firstLine(r.message) : r.step;
      return `${r.host.padEnd(width)}  ${r.state.padEnd(11)}${detail ? ` ${detail}` : ''}${elapsed}`.trimEnd();
    });
  }
  const lines = [
    stateCounts(p)
      .map(([s, n]) => `${s} ${n}`)
      .join(' · '),
  ];
  const running = rows.filter((r) => r.state === 'running' && r.step);
  const bySteps = new Map<string, string[]>();
  for (const r of running) bySteps.set(r.step!, [...(bySteps.get(r.step!) ?? []), r.host]);
  for (const [step, hs] of [...bySteps].slice(0, 3)) lines.push(`running "${step}": ${hs.length}`);
  const bad = rows.filter((r) => BAD.has(r.state));
  const max = opts.maxFailuresListed ?? 10;
  for (const r of bad.slice(0, max)) lines.push(`✖ ${r.host} ${r.state}: ${firstLine(r.message) ?? ''}`.trimEnd());
  if (bad.length > max)
    lines.push(`✖ … and ${bad.length - max} more: ${compressHosts(bad.slice(max).map((r) => r.host))}`);
  return lines;
}

function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

function firstLine(s: string | undefined): string | undefined {
  return s?.split('\n')[0];
}
