/**
 * The report model: everything a post-incident report says, as plain JSON-able data built from a run
 * directory alone. Templates only render it; `firebreak report --format json` prints it as is.
 * Times are ISO-8601 UTC strings, durations milliseconds; `null` means "did not happen / unknown".
 */
import type { FindingKind, FindingSeverity, HostState, PhaseName, StepStatus } from '../core/index.js';
import type { DrillSection } from './drill.js';

export const REPORT_FORMAT = 'firebreak-report/1';

/** Severities, most severe first: the order of every per-severity list in the model. */
export const SEVERITIES: readonly FindingSeverity[] = ['critical', 'high', 'medium', 'low', 'info'];

export type SeverityCounts = Record<FindingSeverity, number>;

export interface ReportHeader {
  incidentId: string | null;
  title: string;
  /** The incident's severity as declared (`--severity`, notes); null when nobody said. */
  severity: FindingSeverity | null;
  /** Incident status from the notes, else derived: `recovered`, `contained` or `open`. */
  status: string;
  responders: string[];
  runId: string;
  runbook: string;
  /** firebreak version that ran the run (from incident.json), else the one that built the report. */
  firebreakVersion: string;
  reportVersion: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  exitCode: number | null;
  /** How the run ended: `completed`, `completed with failures`, `aborted`, or `incomplete` (no end recorded). */
  outcome: string;
  abortReason: string | null;
  startedBy: string | null;
  generatedAt: string;
}

export interface ReportSummary {
  hostsTargeted: number;
  hostsOk: number;
  hostsIsolated: number;
  /** Hosts with a finding of medium severity or above (info and low findings are routine). */
  hostsWithFindings: number;
  /** Hosts with a high or critical finding. */
  hostsWithSevereFindings: number;
  hostsRebuilt: number;
  hostsRestored: number;
  hostsFailed: number;
  hostsUnreachable: number;
  hostsAborted: number;
  stepsRun: number;
  stepsFailed: number;
  stepsSkipped: number;
  stepRetries: number;
  findings: number;
  findingsBySeverity: SeverityCounts;
  artifacts: number;
  /** One line for the top of the report, e.g. `evidence verified` / `evidence FAILED verification`. */
  evidenceStatus: EvidenceStatus;
}

export interface PhaseTiming {
  phase: PhaseName;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  batches: number;
  hostsOk: number;
  hostsFailed: number;
}

/** A fleet-level moment: run and phase boundaries, failures, retries, host key changes. */
export interface TimelineEntry {
  at: string;
  /** Since the run started. */
  offsetMs: number;
  level: 'info' | 'warning' | 'error';
  host: string | null;
  phase: PhaseName | null;
  text: string;
}

/** One step on one host, as the timeline and the host details show it. */
export interface StepView {
  phase: PhaseName;
  step: string;
  index: number | null;
  type: string | null;
  /** `unreachable`: the connection to the host was lost (or never made) in this step. */
  status: StepStatus | 'running' | 'unreachable';
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  /** Offset of the start from the run's start. */
  offsetMs: number | null;
  attempts: number;
  retries: number;
  rc: number | null;
  /** Why it failed or was skipped. */
  note: string | null;
  artifacts: number;
  findings: number;
}

export interface HostPhaseView {
  phase: PhaseName;
  /** How the host ended the phase; null when it never started it. */
  state: HostState | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface HostRow {
  host: string;
  /** Unique HTML id / Markdown anchor of the host's section. */
  anchor: string;
  state: HostState;
  message: string | null;
  phases: HostPhaseView[];
  findingsBySeverity: SeverityCounts;
  findings: number;
  evidence: number;
  steps: StepView[];
  containMs: number | null;
  collectMs: number | null;
  recoverMs: number | null;
}

export interface FindingItem {
  host: string;
  hostAnchor: string;
  summary: string;
  step: string | null;
  /** SHA-256 of the evidence it was read from, and the artifacts holding it on that host. */
  evidenceSha256: string | null;
  evidenceIds: string[];
  detail: Record<string, unknown>;
}

export interface FindingGroup {
  kind: FindingKind | string;
  severity: FindingSeverity;
  count: number;
  hosts: string[];
  items: FindingItem[];
}

export interface FindingsSection {
  total: number;
  bySeverity: SeverityCounts;
  groups: FindingGroup[];
}

export interface EvidenceEntry {
  id: string;
  host: string;
  hostAnchor: string;
  step: string;
  label: string | null;
  sourceKind: 'command' | 'file';
  source: string;
  size: number;
  sha256: string;
  sha256AtSource: string | null;
  /** Host and controller hashes agree (true), differ (false), or no host hash (null). */
  match: boolean | null;
  collectedAt: string | null;
  collectedBy: string | null;
  /** Problems verification found with this artifact (empty: it verified). */
  problems: string[];
}

/** `verified`: signature valid and every hash matches; `failed`: something does not; `absent`: no evidence store. */
export type EvidenceStatus = 'verified' | 'failed' | 'unsigned' | 'absent' | 'error';

export interface EvidenceProblemView {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  artifactId: string | null;
  /** The file concerned, relative to the run directory. */
  file: string | null;
}

export interface EvidenceRegister {
  status: EvidenceStatus;
  /** Manifest signature: `valid`, `invalid`, `malformed`, `missing`, `unchecked`, or `none` without a store. */
  signature: string;
  /** SHA-256 of the public key that checked the signature. */
  publicKeySha256: string | null;
  /** Where the list of artifacts came from: the signed manifest, or the journal when there is none. */
  artifactsFrom: 'manifest' | 'journal' | 'none';
  verifiedAt: string;
  errors: number;
  warnings: number;
  problems: EvidenceProblemView[];
  entries: EvidenceEntry[];
  totalBytes: number;
}

export interface ActionArtifact {
  id: string;
  label: string;
  sha256: string;
  size: number;
}

/** A change made to a host (isolate, lock a user, kill a process, rebuild, restore, harden, …). */
export interface ActionRecord {
  host: string;
  hostAnchor: string;
  phase: PhaseName;
  step: string;
  type: string;
  status: StepStatus | 'running' | 'unreachable';
  finishedAt: string | null;
  durationMs: number | null;
  /** The exact commands run (the rules, for an isolation). */
  commands: string[];
  /** First lines of the output: what the step reported doing. */
  output: string[];
  artifacts: ActionArtifact[];
  findings: string[];
  message: string | null;
  rolledBack: boolean;
  /** A host key the step replaced (rebuild). */
  hostKey: { old: string | null; new: string } | null;
}

/** Commands that ran identically on several hosts (an isolation's rules are usually the same everywhere). */
export interface CommandSet {
  hosts: string[];
  commands: string[];
}

export interface ActionGroup {
  type: string;
  title: string;
  actions: ActionRecord[];
  commandSets: CommandSet[];
}

export interface ActionsSection {
  total: number;
  groups: ActionGroup[];
  rolledBack: ActionRecord[];
}

export interface FleetStat {
  /** Hosts that reached the point. */
  count: number;
  /** Hosts targeted. */
  of: number;
  medianMs: number | null;
  p95Ms: number | null;
  maxMs: number | null;
}

export interface HostMetric {
  host: string;
  hostAnchor: string;
  containMs: number | null;
  collectMs: number | null;
  rebuildMs: number | null;
  recoverMs: number | null;
}

export interface MetricsSection {
  /** Run start → isolate step ended ok. */
  contain: FleetStat;
  /** Run start → last collect step ended ok. */
  collect: FleetStat;
  /** Run start → rebuild step ended ok. */
  rebuild: FleetStat;
  /** Run start → last restore step ended ok. */
  recover: FleetStat;
  hosts: HostMetric[];
}

export interface UnreachableHost {
  host: string;
  hostAnchor: string;
  phase: PhaseName;
  step: string | null;
  reason: string;
  message: string;
  at: string;
}

export interface FailedStep {
  host: string;
  hostAnchor: string;
  phase: PhaseName;
  step: string;
  type: string | null;
  status: 'failed' | 'ignored';
  rc: number | null;
  signal: string | null;
  timedOut: boolean;
  attempts: number;
  message: string | null;
  /** The stderr lines that say what went wrong (capped). */
  stderr: string[];
  stderrFile: string | null;
}

export interface UndoneWork {
  host: string;
  hostAnchor: string;
  what: string;
}

export interface FailuresSection {
  total: number;
  unreachable: UnreachableHost[];
  failedSteps: FailedStep[];
  undone: UndoneWork[];
  abortReason: string | null;
}

export interface ActionItem {
  what: string;
  owner: string | null;
  due: string | null;
  status: string | null;
  ticket: string | null;
}

export interface LessonsSection {
  /** False: no notes were given, the report shows a placeholder. */
  present: boolean;
  source: string | null;
  summary: string | null;
  wentWell: string[];
  wentWrong: string[];
  lucky: string[];
  actionItems: ActionItem[];
}

export interface ReportModel {
  format: typeof REPORT_FORMAT;
  header: ReportHeader;
  summary: ReportSummary;
  phases: PhaseTiming[];
  timeline: TimelineEntry[];
  hosts: HostRow[];
  findings: FindingsSection;
  evidence: EvidenceRegister;
  actions: ActionsSection;
  metrics: MetricsSection;
  failures: FailuresSection;
  lessons: LessonsSection;
  /** Present when the run was a drill; rendered by the `drill` partial. */
  drill?: DrillSection;
}
