/**
 * Response metrics: how long after the run started each host was contained (an `isolate` step ended
 * ok), its evidence collected (its last `collect` step ended ok), rebuilt and recovered (its last
 * `restore` step ended ok); per host and fleet-wide (median, p95, max).
 */
import type { HostMetric, MetricsSection } from './types.js';
import { succeeded, type HostTrack, type StepRecord } from './fold.js';
import type { RunData } from './run-data.js';
import { between, fleetStat } from './stats.js';

export type HostTimes = Omit<HostMetric, 'host' | 'hostAnchor'>;

function firstOk(steps: readonly StepRecord[], type: string): StepRecord | undefined {
  return steps.find((s) => s.type === type && succeeded(s));
}

function lastOk(steps: readonly StepRecord[], type: string): StepRecord | undefined {
  for (let i = steps.length - 1; i >= 0; i--) if (steps[i]!.type === type && succeeded(steps[i]!)) return steps[i];
  return undefined;
}

export function hostTimes(track: HostTrack, runStart: string | null): HostTimes {
  const at = (r: StepRecord | undefined) => (r ? between(runStart, r.finishedAt) : null);
  return {
    containMs: at(firstOk(track.steps, 'isolate')),
    collectMs: at(lastOk(track.steps, 'collect')),
    rebuildMs: at(lastOk(track.steps, 'rebuild')),
    recoverMs: at(lastOk(track.steps, 'restore')),
  };
}

export function runStartOf(data: RunData): string | null {
  return data.fold.started?.at ?? data.summary?.startedAt ?? null;
}

export function buildMetrics(data: RunData): MetricsSection {
  const start = runStartOf(data);
  const hosts: HostMetric[] = [...data.fold.hosts.values()].map((t) => ({
    host: t.host,
    hostAnchor: data.anchors.get(t.host)!,
    ...hostTimes(t, start),
  }));
  const n = hosts.length;
  return {
    contain: fleetStat(
      hosts.map((h) => h.containMs),
      n,
    ),
    collect: fleetStat(
      hosts.map((h) => h.collectMs),
      n,
    ),
    rebuild: fleetStat(
      hosts.map((h) => h.rebuildMs),
      n,
    ),
    recover: fleetStat(
      hosts.map((h) => h.recoverMs),
      n,
    ),
    hosts,
  };
}
