/**
 * Scoring a drill: pure functions over the run's journal events, the lab's ground truth and what the
 * drill observed itself (probes, egress samples, the fault log). Nothing here touches a host.
 */
import type { RunEvent } from '../../core/index.js';
import type { HostRole } from '../assign.js';
import type { Thresholds } from '../schema.js';
import type { EgressSample, ProbeResult, Scorecard } from '../scorecard.js';
import { scoreDetection, scoreFalsePositives, type PlantedIndicator } from './detection.js';
import { insights } from './insights.js';
import { scoreResilience, type FaultLogEntry } from './resilience.js';
import { scoreAttackTraffic, scoreContainment, scoreRecovery } from './response.js';
import { judge, type Measured } from './verdict.js';

export { scoreDetection, scoreFalsePositives, findingRefs, type PlantedIndicator } from './detection.js';
export { scoreContainment, scoreRecovery, scoreAttackTraffic, firstSuccess } from './response.js';
export { scoreFault, scoreResilience, type FaultLogEntry } from './resilience.js';
export { judge, thresholdChecks, type Measured } from './verdict.js';
export { insights } from './insights.js';
export { timeStats } from './stats.js';

export interface ScoreInput {
  roles: readonly HostRole[];
  planted: readonly PlantedIndicator[];
  /** The run's journal (empty when the run never started). */
  events: readonly RunEvent[];
  egress: readonly EgressSample[];
  faults: readonly FaultLogEntry[];
  hypothesis: { before: ProbeResult[]; after: ProbeResult[] };
  thresholds: Thresholds;
  /** Why the drill was interrupted (Ctrl-C), when it was: the verdict is `aborted`. */
  aborted?: string;
  /** Why the drill stopped the run itself (its deadline), when it did: faults are not handled. */
  stoppedByDrill?: string;
  /** Notes the drill made while running (fewer hosts than a fault asked for…). */
  notes?: readonly string[];
}

export type Scores = Pick<
  Scorecard,
  | 'detection'
  | 'falsePositives'
  | 'containment'
  | 'attackTraffic'
  | 'recovery'
  | 'resilience'
  | 'hypothesis'
  | 'verdict'
  | 'strengths'
  | 'improvements'
  | 'notes'
>;

export function scoreDrill(input: ScoreInput): Scores {
  const measured: Measured = {
    detection: scoreDetection(input.planted, input.events),
    falsePositives: scoreFalsePositives(input.roles, input.events),
    containment: scoreContainment(input.roles, input.events),
    attackTraffic: scoreAttackTraffic(input.events, input.egress),
    recovery: scoreRecovery(input.roles, input.events),
    resilience: scoreResilience(input.faults, input.events, input.stoppedByDrill ?? input.aborted),
    hypothesis: input.hypothesis,
  };
  const verdict = judge(measured, input.thresholds, { aborted: input.aborted, stoppedByDrill: input.stoppedByDrill });
  const derived = insights(measured);
  const stopped = input.aborted ?? input.stoppedByDrill;
  const partial = stopped
    ? [`The run was stopped before it finished (${stopped}): the scores cover only what it did.`]
    : [];
  return { ...measured, verdict, ...derived, notes: [...partial, ...(input.notes ?? []), ...derived.notes] };
}
