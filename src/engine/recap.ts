/**
 * Per-host recap counts as a fold over events, so the same numbers come out of a live run and of a
 * journal read back later. Pure apart from the map it fills.
 */
import { hostEndBasis, type HostRecap, type HostState, type RunEvent } from '../core/index.js';

/** States a host keeps once reached: a later `host.finished` cannot turn them back into ok. */
const STICKY: ReadonlySet<HostState> = new Set<HostState>(['failed', 'unreachable', 'aborted']);

export class RecapTally {
  private readonly hosts = new Map<string, HostRecap>();
  /** Last failed step per host: a step that failed because the connection was lost counts as unreachable, not failed. */
  private readonly lastFailed = new Map<string, string>();

  constructor(hostNames: readonly string[] = []) {
    for (const h of hostNames) this.get(h);
  }

  private get(host: string): HostRecap {
    let r = this.hosts.get(host);
    if (!r) {
      r = { host, state: 'pending', ok: 0, changed: 0, failed: 0, skipped: 0, ignored: 0, unreachable: false };
      this.hosts.set(host, r);
    }
    return r;
  }

  /** Fold one event in. */
  add(e: RunEvent): void {
    switch (e.type) {
      case 'run.started':
        for (const h of e.hosts) this.get(h);
        return;
      case 'host.started': {
        const r = this.get(e.host);
        if (!STICKY.has(r.state)) r.state = 'running';
        return;
      }
      case 'step.skipped':
        this.get(e.host).skipped++;
        return;
      case 'step.finished':
        this.get(e.host)[e.outcome.status]++;
        if (e.outcome.status === 'failed') this.lastFailed.set(e.host, e.step);
        return;
      case 'host.failed': {
        const r = this.get(e.host);
        r.state = 'failed';
        r.message ??= e.message;
        return;
      }
      case 'host.unreachable': {
        const r = this.get(e.host);
        r.state = 'unreachable';
        r.unreachable = true;
        r.message = e.message;
        if (e.step !== undefined && this.lastFailed.get(e.host) === e.step && r.failed > 0) r.failed--;
        this.lastFailed.delete(e.host);
        return;
      }
      case 'host.finished': {
        const r = this.get(e.host);
        if (!STICKY.has(r.state)) r.state = e.state;
        return;
      }
      case 'host.ended':
        Object.assign(this.get(e.host), { ended: e.reason, endedBasis: hostEndBasis(e) });
        return;
      default:
        return;
    }
  }

  /** Mark a host that did not finish every phase (abort, max-fail) as aborted, unless it already failed. */
  markAborted(host: string): void {
    const r = this.get(host);
    if (r.state !== 'failed' && r.state !== 'unreachable' && r.ended === undefined) r.state = 'aborted';
  }

  /** An `end_host` step ended this host's run: no later phase takes it. */
  hasEnded(host: string): boolean {
    return this.hosts.get(host)?.ended !== undefined;
  }

  /** Recap rows in inventory order. */
  recap(): HostRecap[] {
    return [...this.hosts.values()].map((r) => ({ ...r }));
  }
}

/** Fold a whole event list (e.g. a journal read back). */
export function recapFromEvents(events: Iterable<RunEvent>): HostRecap[] {
  const t = new RecapTally();
  for (const e of events) t.add(e);
  return t.recap();
}
