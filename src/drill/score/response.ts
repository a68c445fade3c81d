/**
 * What the response achieved, from the journal: containment (run start → a compromised host's first
 * isolate step finished ok), recovery (→ rebuild / restore finished ok), hosts left broken, and attack
 * traffic seen leaving isolated hosts after their isolation.
 */
import type { RunEvent } from '../../core/index.js';
import type { HostRole } from '../assign.js';
import type { AttackTrafficScore, ContainmentScore, EgressSample, HostTime, RecoveryScore } from '../scorecard.js';
import { hostTimeStats, round1 } from './stats.js';
import { eventsOf, runStartMs, stepSpans, succeeded } from './timeline.js';

/** Per host: when (epoch ms) its first successful step of `type` finished. */
export function firstSuccessAt(events: readonly RunEvent[], type: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of stepSpans(events)) {
    if (s.type === type && succeeded(s) && s.finishedMs !== undefined && !out.has(s.host))
      out.set(s.host, s.finishedMs);
  }
  return out;
}

/** Per host: seconds from run start to the end of its first successful step of `type`. */
export function firstSuccess(events: readonly RunEvent[], type: string): Map<string, HostTime> {
  const start = runStartMs(events);
  const out = new Map<string, HostTime>();
  if (start === undefined) return out;
  for (const [host, at] of firstSuccessAt(events, type)) out.set(host, { host, seconds: round1((at - start) / 1000) });
  return out;
}

export function scoreContainment(roles: readonly HostRole[], events: readonly RunEvent[]): ContainmentScore {
  const isolated = firstSuccess(events, 'isolate');
  const compromised = roles.filter((r) => r.compromised).map((r) => r.host);
  const contained = compromised.flatMap((h) => isolated.get(h) ?? []);
  const ended = new Set(eventsOf(events, 'host.ended').map((e) => e.host));
  const uncontained = compromised.filter((h) => !isolated.has(h));
  return {
    contained,
    uncontained,
    stats: hostTimeStats(contained),
    isolatedNotCompromised: [...isolated.keys()].filter((h) => !compromised.includes(h)).sort(),
    leftInService: uncontained.filter((h) => ended.has(h)),
  };
}

/** A host's phase ended ok (host.finished with state ok). */
function phaseOk(events: readonly RunEvent[], host: string, phase: string): boolean {
  return eventsOf(events, 'host.finished').some((e) => e.host === host && e.phase === phase && e.state === 'ok');
}

export function scoreRecovery(roles: readonly HostRole[], events: readonly RunEvent[]): RecoveryScore {
  const rebuilt = [...firstSuccess(events, 'rebuild').values()];
  const compromised = new Set(roles.filter((r) => r.compromised).map((r) => r.host));
  const restored = [...firstSuccess(events, 'restore').values()];
  const recovering = stepSpans(events).filter((s) => s.type === 'rebuild' || s.type === 'restore');
  const broken = new Set(recovering.filter((s) => !phaseOk(events, s.host, s.phase)).map((s) => s.host));
  return {
    rebuilt,
    restored,
    rebuildStats: hostTimeStats(rebuilt),
    restoreStats: hostTimeStats(restored),
    leftBroken: [...broken].sort(),
    rebuiltNotCompromised: rebuilt
      .map((r) => r.host)
      .filter((h) => !compromised.has(h))
      .sort(),
  };
}

/** Packets seen leaving a host in windows that started after its isolation. */
export function scoreAttackTraffic(events: readonly RunEvent[], samples: readonly EgressSample[]): AttackTrafficScore {
  const isolated = firstSuccessAt(events, 'isolate');
  const after = samples.filter((s) => {
    const t = isolated.get(s.host);
    return t !== undefined && Date.parse(s.at) >= t;
  });
  return { afterIsolation: after.reduce((n, s) => n + s.packets, 0), samples: [...samples] };
}
