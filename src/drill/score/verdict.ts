/**
 * The verdict: every threshold the drill file sets, compared with what was measured. Pass when all
 * hold (and the steady state held before the run); an interrupted drill is `aborted`, whatever it measured.
 */
import type { Thresholds } from '../schema.js';
import type { ProbeResult, Scorecard, ThresholdCheck, Verdict } from '../scorecard.js';

/** Everything measured, before the verdict. */
export type Measured = Pick<
  Scorecard,
  'detection' | 'falsePositives' | 'containment' | 'attackTraffic' | 'recovery' | 'resilience' | 'hypothesis'
>;

/** A minimum (`min`) or maximum (`max`) check; `actual` null means nothing was measured. */
function bound(
  name: string,
  kind: 'min' | 'max',
  limit: number | undefined,
  actual: number | null,
  nullOk: boolean,
): ThresholdCheck[] {
  if (limit === undefined) return [];
  const ok = actual === null ? nullOk : kind === 'min' ? actual >= limit : actual <= limit;
  return [{ name, limit, actual, ok }];
}

function requiredFailures(probes: readonly ProbeResult[]): ProbeResult[] {
  return probes.filter((p) => p.required && !p.ok);
}

export function thresholdChecks(m: Measured, t: Thresholds): ThresholdCheck[] {
  const anyCompromised = m.containment.contained.length + m.containment.uncontained.length > 0;
  const scenarioRatios = Object.values(m.detection.byScenario).flatMap((c) => (c.ratio === null ? [] : [c.ratio]));
  const recoveryP95 = m.recovery.restoreStats.p95 ?? m.recovery.rebuildStats.p95;
  const afterOk = requiredFailures(m.hypothesis.after).length === 0;
  return [
    // Nothing to find (no scored indicator) cannot miss a minimum.
    ...bound('min_coverage', 'min', t.min_coverage, m.detection.overall.ratio, true),
    ...bound(
      'min_scenario_coverage',
      'min',
      t.min_scenario_coverage,
      scenarioRatios.length ? Math.min(...scenarioRatios) : null,
      true,
    ),
    ...bound('max_false_positives', 'max', t.max_false_positives, m.falsePositives.count, true),
    // No compromised host isolated while some exist: containment was not fast, it did not happen.
    ...bound('max_containment_p95', 'max', t.max_containment_p95, m.containment.stats.p95, !anyCompromised),
    ...bound('max_containment_max', 'max', t.max_containment_max, m.containment.stats.max, !anyCompromised),
    ...bound('max_uncontained', 'max', t.max_uncontained, m.containment.uncontained.length, true),
    ...bound('max_attack_traffic', 'max', t.max_attack_traffic, m.attackTraffic.afterIsolation, true),
    ...bound('max_recovery_p95', 'max', t.max_recovery_p95, recoveryP95, !anyCompromised),
    ...bound('max_left_broken', 'max', t.max_left_broken, m.recovery.leftBroken.length, true),
    ...bound(
      'max_unhandled_faults',
      'max',
      t.max_unhandled_faults,
      m.resilience.filter((f) => f.handled === false).length,
      true,
    ),
    ...(t.hypothesis ? [{ name: 'hypothesis', limit: true, actual: afterOk, ok: afterOk }] : []),
  ];
}

function describe(c: ThresholdCheck): string {
  if (c.name === 'hypothesis') return 'hypothesis: a required probe failed after the run';
  const op = c.name.startsWith('min_') ? '<' : '>';
  return `${c.name}: ${c.actual === null ? 'nothing measured' : `${round3(c.actual as number)} ${op} ${c.limit}`}`;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/**
 * @param stop.aborted why the drill was interrupted (Ctrl-C), when it was
 * @param stop.stoppedByDrill why the drill stopped the run itself (its timeout), when it did
 */
export function judge(m: Measured, t: Thresholds, stop: { aborted?: string; stoppedByDrill?: string } = {}): Verdict {
  const { aborted, stoppedByDrill } = stop;
  const checks = thresholdChecks(m, t);
  const reasons = [
    ...(aborted ? [`aborted: ${aborted}`] : []),
    ...(stoppedByDrill ? [`the drill stopped the run: ${stoppedByDrill}`] : []),
    ...requiredFailures(m.hypothesis.before).map(
      (p) =>
        `the steady state did not hold before the run: ${p.probe} failed on ${p.hosts
          .filter((h) => !h.ok)
          .map((h) => h.host)
          .join(', ')}`,
    ),
    ...checks.filter((c) => !c.ok).map(describe),
  ];
  return { result: aborted ? 'aborted' : reasons.length ? 'fail' : 'pass', checks, reasons };
}
