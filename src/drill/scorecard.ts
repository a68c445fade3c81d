/**
 * The scorecard: what a drill measured, written as `scorecard.json` into the run directory. The report
 * renders it as its drill section when present; `firebreak drill compare` reads two of them. Plain
 * JSON: times are ISO-8601 UTC strings, durations are seconds (one decimal).
 */
import type { FindingKind, FindingSeverity } from '../core/index.js';
import type { HostRole } from './assign.js';
import type { FaultKind, ProbeName } from './schema.js';

export const SCORECARD_VERSION = 1;
export const SCORECARD_FILE = 'scorecard.json';

/** found / planted; `ratio` is null when nothing was planted. */
export interface Coverage {
  found: number;
  planted: number;
  ratio: number | null;
}

/** One planted indicator and whether the run's findings revealed it. */
export interface IndicatorResult {
  host: string;
  scenario: string;
  id: string;
  description: string;
  /** The finding kind that reveals it; null when the scenario names none (not scored). */
  finding: string | null;
  /** Its check held inside the host before the run (null: not checked). */
  verified: boolean | null;
  /** Counts in coverage: it names a finding kind and was not disproved before the run. */
  scored: boolean;
  found: boolean;
  /** Summary of the first finding that revealed it. */
  foundBy?: string;
}

export interface DetectionScore {
  overall: Coverage;
  byScenario: Record<string, Coverage>;
  indicators: IndicatorResult[];
}

export interface FindingRef {
  host: string;
  kind: FindingKind;
  severity: FindingSeverity;
  summary: string;
}

export interface FalsePositiveScore {
  /** Findings of severity medium or worse on clean hosts. */
  count: number;
  cleanHosts: string[];
  findings: FindingRef[];
}

/** Median, 95th percentile (nearest rank) and maximum, in seconds; null values when there are none. */
export interface TimeStats {
  count: number;
  median: number | null;
  p95: number | null;
  max: number | null;
}

export interface HostTime {
  host: string;
  /** Seconds from run start. */
  seconds: number;
}

export interface ContainmentScore {
  /** Compromised hosts and when their first isolate step finished ok. */
  contained: HostTime[];
  /** Compromised hosts never isolated. */
  uncontained: string[];
  stats: TimeStats;
  /** Hosts isolated that were not compromised. */
  isolatedNotCompromised: string[];
  /**
   * False negatives, the worst outcome: compromised hosts the runbook judged clean and left in service
   * (an `end_host` step ended their run). Absent from scorecards of firebreak before end_host.
   */
  leftInService?: string[];
}

/** Outgoing TCP/22 packets a host sent in an observation window. */
export interface EgressSample {
  host: string;
  /** When the window started (ISO). */
  at: string;
  windowSeconds: number;
  packets: number;
  /** Destination address → packets. */
  destinations: Record<string, number>;
  /** `isolation`: watched right after the host's isolate step; `hypothesis`: the no-attack-traffic probe. */
  source: 'isolation' | 'hypothesis';
}

export interface AttackTrafficScore {
  /** Packets seen leaving isolated hosts after their isolation (must be zero). */
  afterIsolation: number;
  samples: EgressSample[];
}

export interface RecoveryScore {
  rebuilt: HostTime[];
  restored: HostTime[];
  rebuildStats: TimeStats;
  restoreStats: TimeStats;
  /** Hosts whose rebuild or restore started and did not end ok. */
  leftBroken: string[];
  /** Hosts reimaged that were not compromised (an outage the response caused). Absent before end_host. */
  rebuiltNotCompromised?: string[];
}

/** What the run did with the host a fault hit. */
export type FaultOutcome =
  | 'unreachable' // the run counted the host as unreachable and named it
  | 'retried-and-recovered' // a step was retried and then succeeded
  | 'timed-out' // a step hit its timeout
  | 'stalled' // a step was still running when the drill stopped the run (its deadline)
  | 'failed' // a step failed on the host
  | 'slowed' // the host went through, its steps at least 3 times (and 5 s) slower than on hosts without faults
  | 'no-effect' // the host went through the run fine
  | 'not-exercised' // the run did nothing on the host after the fault
  | 'not-applicable'; // the fault was not injected

export interface FaultResult {
  /** Position in the drill's fault list. */
  index: number;
  kind: FaultKind;
  host: string;
  /** `before`, `phase:collect`, `after:30s`. */
  when: string;
  /** `300ms`, `30%`, `ss`. */
  value?: string;
  status: 'injected' | 'not-injectable' | 'failed' | 'not-triggered';
  injectedAt?: string;
  healedAt?: string;
  /** Why it was not injected, or what happened while injecting. */
  message?: string;
  outcome: FaultOutcome;
  /** The run ended on its own and gave the host a final state. Null when the fault was not injected. */
  handled: boolean | null;
  /** The host's failure took the run past max_fail_percentage. */
  stoppedRun: boolean;
  detail: string;
}

export interface ProbeHostResult {
  host: string;
  ok: boolean;
  detail: string;
}

export interface ProbeResult {
  probe: ProbeName;
  at: 'before' | 'after';
  required: boolean;
  ok: boolean;
  hosts: ProbeHostResult[];
}

export interface ThresholdCheck {
  name: string;
  /** The limit as the drill file states it. */
  limit: number | boolean;
  /** The measured value; null when nothing could be measured. */
  actual: number | boolean | null;
  ok: boolean;
}

export interface Verdict {
  result: 'pass' | 'fail' | 'aborted';
  checks: ThresholdCheck[];
  /** One line per reason for a fail or abort. */
  reasons: string[];
}

export interface Scorecard {
  version: typeof SCORECARD_VERSION;
  drill: {
    name: string;
    description?: string;
    /** The drill file, or `command line`. */
    source: string;
    seed: number | string;
    runbook: string;
    params: Record<string, unknown>;
    hosts: number;
    scenarios: Record<string, number>;
    compromisedScenarios: string[];
  };
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  lab: { id: string; dir: string; cidr: string; bridge: string; kept: boolean };
  run: {
    runId: string;
    runDir: string;
    exitCode: number | null;
    aborted?: string;
    startedAt: string | null;
    durationSeconds: number | null;
  } | null;
  /** The seeded assignment of scenarios to hosts. */
  hosts: HostRole[];
  detection: DetectionScore;
  falsePositives: FalsePositiveScore;
  containment: ContainmentScore;
  attackTraffic: AttackTrafficScore;
  recovery: RecoveryScore;
  resilience: FaultResult[];
  hypothesis: { before: ProbeResult[]; after: ProbeResult[] };
  verdict: Verdict;
  strengths: string[];
  improvements: string[];
  /** Things to know that are neither: faults this machine cannot inject, indicators not scored. */
  notes: string[];
}
