/**
 * The report model: everything a post-incident report says, as plain JSON-able data built from a run
 * directory alone. Templates only render it; `firebreak report --format json` prints it as is.
 * Times are ISO-8601 UTC strings, durations milliseconds; `null` means "did not happen / unknown".
 *
 * Written once, as zod schemas: the TypeScript types are inferred from them, and `firebreak schema
 * --report` prints their JSON Schema, so the types, the published schema and the tests cannot drift.
 */
import { z } from 'zod';
import { HostState, PHASES, StepStatus, type FindingSeverity } from '../core/index.js';
import { drillSectionSchema } from './drill.js';

export const REPORT_FORMAT = 'firebreak-report/1';

/** Severities, most severe first: the order of every per-severity list in the model. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const satisfies readonly FindingSeverity[];

const severity = z.enum(SEVERITIES);
const phase = z.enum(PHASES);
const time = z.iso.datetime();
const nullableTime = time.nullable();
const ms = z.number().nullable();
const count = z.int().nonnegative();
/** Where a step ended up: `unreachable` = the connection to the host was lost (or never made) in this step. */
const stepState = z.enum([...Object.values(StepStatus), 'running', 'unreachable']);

const severityCountsSchema = z.strictObject({
  critical: count,
  high: count,
  medium: count,
  low: count,
  info: count,
});
export type SeverityCounts = z.infer<typeof severityCountsSchema>;

/** `verified`: signature valid and every hash matches; `failed`: something does not; `absent`: no evidence store. */
const evidenceStatusSchema = z.enum(['verified', 'failed', 'unsigned', 'absent', 'error']);
export type EvidenceStatus = z.infer<typeof evidenceStatusSchema>;

const reportHeaderSchema = z.strictObject({
  incidentId: z.string().nullable(),
  title: z.string(),
  /** The incident's severity as declared (`--severity`, notes); null when nobody said. */
  severity: severity.nullable(),
  /** Incident status from the notes, else derived: `recovered`, `contained` or `open`. */
  status: z.string(),
  responders: z.array(z.string()),
  runId: z.string(),
  runbook: z.string(),
  /** firebreak version that ran the run (from incident.json), else the one that built the report. */
  firebreakVersion: z.string(),
  reportVersion: z.string(),
  startedAt: nullableTime,
  finishedAt: nullableTime,
  durationMs: ms,
  exitCode: z.int().nullable(),
  /** How the run ended: `completed`, `completed with failures`, `aborted`, or `incomplete` (no end recorded). */
  outcome: z.string(),
  abortReason: z.string().nullable(),
  startedBy: z.string().nullable(),
  generatedAt: time,
  /** Journal lines that were not events (damaged or tampered with): the report is built around them. */
  journalUnreadableLines: count,
});
export type ReportHeader = z.infer<typeof reportHeaderSchema>;

const reportSummarySchema = z.strictObject({
  hostsTargeted: count,
  hostsOk: count,
  hostsIsolated: count,
  /** Hosts with a finding of medium severity or above (info and low findings are routine). */
  hostsWithFindings: count,
  /** Hosts with a high or critical finding. */
  hostsWithSevereFindings: count,
  hostsRebuilt: count,
  hostsRestored: count,
  hostsFailed: count,
  hostsUnreachable: count,
  hostsAborted: count,
  stepsRun: count,
  stepsFailed: count,
  stepsSkipped: count,
  stepRetries: count,
  findings: count,
  findingsBySeverity: severityCountsSchema,
  artifacts: count,
  /** One line for the top of the report, e.g. `evidence verified` / `evidence FAILED verification`. */
  evidenceStatus: evidenceStatusSchema,
});
export type ReportSummary = z.infer<typeof reportSummarySchema>;

const phaseTimingSchema = z.strictObject({
  phase,
  startedAt: nullableTime,
  finishedAt: nullableTime,
  durationMs: ms,
  batches: count,
  hostsOk: count,
  hostsFailed: count,
});
export type PhaseTiming = z.infer<typeof phaseTimingSchema>;

/** A fleet-level moment: run and phase boundaries, failures, retries, host key changes. */
const timelineEntrySchema = z.strictObject({
  at: time,
  /** Since the run started. */
  offsetMs: z.number(),
  /** The journal event it tells (`run.started`, `phase.finished`, `host.unreachable`, ...). */
  event: z.string(),
  level: z.enum(['info', 'warning', 'error']),
  host: z.string().nullable(),
  phase: phase.nullable(),
  /** The step concerned, when the event names one. */
  step: z.string().nullable(),
  text: z.string(),
});
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;

/** One step on one host, as the timeline and the host details show it. */
const stepViewSchema = z.strictObject({
  phase,
  step: z.string(),
  index: z.int().nullable(),
  type: z.string().nullable(),
  status: stepState,
  startedAt: nullableTime,
  finishedAt: nullableTime,
  durationMs: ms,
  /** Offset of the start from the run's start. */
  offsetMs: ms,
  attempts: count,
  retries: count,
  rc: z.int().nullable(),
  /** Why it failed or was skipped. */
  note: z.string().nullable(),
  artifacts: count,
  findings: count,
});
export type StepView = z.infer<typeof stepViewSchema>;

const hostPhaseViewSchema = z.strictObject({
  phase,
  /** How the host ended the phase; null when it never started it. */
  state: z.enum(HostState).nullable(),
  startedAt: nullableTime,
  finishedAt: nullableTime,
  durationMs: ms,
});
export type HostPhaseView = z.infer<typeof hostPhaseViewSchema>;

const hostRowSchema = z.strictObject({
  host: z.string(),
  /** Unique HTML id / Markdown anchor of the host's section. */
  anchor: z.string(),
  state: z.enum(HostState),
  message: z.string().nullable(),
  phases: z.array(hostPhaseViewSchema),
  findingsBySeverity: severityCountsSchema,
  findings: count,
  evidence: count,
  steps: z.array(stepViewSchema),
  containMs: ms,
  collectMs: ms,
  recoverMs: ms,
});
export type HostRow = z.infer<typeof hostRowSchema>;

const findingItemSchema = z.strictObject({
  host: z.string(),
  hostAnchor: z.string(),
  summary: z.string(),
  phase,
  step: z.string().nullable(),
  /** When the journal recorded it. */
  at: time,
  /** SHA-256 of the evidence it was read from, and the artifacts holding it on that host. */
  evidenceSha256: z.string().nullable(),
  evidenceIds: z.array(z.string()),
  detail: z.record(z.string(), z.unknown()),
});
export type FindingItem = z.infer<typeof findingItemSchema>;

const findingGroupSchema = z.strictObject({
  /** A `FindingKind`, or whatever a newer firebreak wrote into the journal. */
  kind: z.string(),
  severity,
  count,
  hosts: z.array(z.string()),
  items: z.array(findingItemSchema),
});
export type FindingGroup = z.infer<typeof findingGroupSchema>;

const findingsSectionSchema = z.strictObject({
  total: count,
  bySeverity: severityCountsSchema,
  groups: z.array(findingGroupSchema),
});
export type FindingsSection = z.infer<typeof findingsSectionSchema>;

const evidenceEntrySchema = z.strictObject({
  id: z.string(),
  host: z.string(),
  hostAnchor: z.string(),
  /** The phase of the step that stored it (null: the journal does not mention it). */
  phase: phase.nullable(),
  step: z.string(),
  label: z.string().nullable(),
  sourceKind: z.enum(['command', 'file']),
  source: z.string(),
  size: count,
  sha256: z.string(),
  sha256AtSource: z.string().nullable(),
  /** Host and controller hashes agree (true), differ (false), or no host hash (null). */
  match: z.boolean().nullable(),
  collectedAt: nullableTime,
  /** When the journal recorded it stored (null: the journal does not mention it). */
  storedAt: nullableTime,
  collectedBy: z.string().nullable(),
  /** Problems verification found with this artifact (empty: it verified). */
  problems: z.array(z.string()),
});
export type EvidenceEntry = z.infer<typeof evidenceEntrySchema>;

const evidenceProblemViewSchema = z.strictObject({
  severity: z.enum(['error', 'warning']),
  code: z.string(),
  message: z.string(),
  artifactId: z.string().nullable(),
  /** The file concerned, relative to the run directory. */
  file: z.string().nullable(),
});
export type EvidenceProblemView = z.infer<typeof evidenceProblemViewSchema>;

const evidenceRegisterSchema = z.strictObject({
  status: evidenceStatusSchema,
  /** Manifest signature: `valid`, `invalid`, `malformed`, `missing`, `unchecked`, or `none` without a store. */
  signature: z.string(),
  /** SHA-256 of the public key that checked the signature. */
  publicKeySha256: z.string().nullable(),
  /** Where the list of artifacts came from: the signed manifest, or the journal when there is none. */
  artifactsFrom: z.enum(['manifest', 'journal', 'none']),
  verifiedAt: time,
  errors: count,
  warnings: count,
  problems: z.array(evidenceProblemViewSchema),
  entries: z.array(evidenceEntrySchema),
  totalBytes: count,
});
export type EvidenceRegister = z.infer<typeof evidenceRegisterSchema>;

const actionArtifactSchema = z.strictObject({ id: z.string(), label: z.string(), sha256: z.string(), size: count });
export type ActionArtifact = z.infer<typeof actionArtifactSchema>;

/** A change made to a host (isolate, lock a user, kill a process, rebuild, restore, harden, …). */
const actionRecordSchema = z.strictObject({
  host: z.string(),
  hostAnchor: z.string(),
  phase,
  step: z.string(),
  type: z.string(),
  status: stepState,
  finishedAt: nullableTime,
  durationMs: ms,
  /** The exact commands run (the rules, for an isolation). */
  commands: z.array(z.string()),
  /** First lines of the output: what the step reported doing. */
  output: z.array(z.string()),
  artifacts: z.array(actionArtifactSchema),
  findings: z.array(z.string()),
  message: z.string().nullable(),
  rolledBack: z.boolean(),
  /** A host key the step replaced (rebuild). */
  hostKey: z.strictObject({ old: z.string().nullable(), new: z.string() }).nullable(),
});
export type ActionRecord = z.infer<typeof actionRecordSchema>;

/** Commands that ran identically on several hosts (an isolation's rules are usually the same everywhere). */
const commandSetSchema = z.strictObject({ hosts: z.array(z.string()), commands: z.array(z.string()) });
export type CommandSet = z.infer<typeof commandSetSchema>;

const actionGroupSchema = z.strictObject({
  type: z.string(),
  title: z.string(),
  actions: z.array(actionRecordSchema),
  commandSets: z.array(commandSetSchema),
});
export type ActionGroup = z.infer<typeof actionGroupSchema>;

const actionsSectionSchema = z.strictObject({
  total: count,
  groups: z.array(actionGroupSchema),
  rolledBack: z.array(actionRecordSchema),
});
export type ActionsSection = z.infer<typeof actionsSectionSchema>;

const fleetStatSchema = z.strictObject({
  /** Hosts that reached the point. */
  count,
  /** Hosts targeted. */
  of: count,
  medianMs: ms,
  p95Ms: ms,
  maxMs: ms,
});
export type FleetStat = z.infer<typeof fleetStatSchema>;

const hostMetricSchema = z.strictObject({
  host: z.string(),
  hostAnchor: z.string(),
  containMs: ms,
  collectMs: ms,
  rebuildMs: ms,
  recoverMs: ms,
});
export type HostMetric = z.infer<typeof hostMetricSchema>;

const metricsSectionSchema = z.strictObject({
  /** Run start → isolate step ended ok. */
  contain: fleetStatSchema,
  /** Run start → last collect step ended ok. */
  collect: fleetStatSchema,
  /** Run start → rebuild step ended ok. */
  rebuild: fleetStatSchema,
  /** Run start → last restore step ended ok. */
  recover: fleetStatSchema,
  hosts: z.array(hostMetricSchema),
});
export type MetricsSection = z.infer<typeof metricsSectionSchema>;

const unreachableHostSchema = z.strictObject({
  host: z.string(),
  hostAnchor: z.string(),
  phase,
  step: z.string().nullable(),
  reason: z.string(),
  message: z.string(),
  at: time,
});
export type UnreachableHost = z.infer<typeof unreachableHostSchema>;

const failedStepSchema = z.strictObject({
  host: z.string(),
  hostAnchor: z.string(),
  phase,
  step: z.string(),
  type: z.string().nullable(),
  status: z.enum(['failed', 'ignored']),
  rc: z.int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  attempts: count,
  message: z.string().nullable(),
  /** The stderr lines that say what went wrong (capped). */
  stderr: z.array(z.string()),
  stderrFile: z.string().nullable(),
});
export type FailedStep = z.infer<typeof failedStepSchema>;

const undoneWorkSchema = z.strictObject({ host: z.string(), hostAnchor: z.string(), what: z.string() });
export type UndoneWork = z.infer<typeof undoneWorkSchema>;

const failuresSectionSchema = z.strictObject({
  total: count,
  unreachable: z.array(unreachableHostSchema),
  failedSteps: z.array(failedStepSchema),
  undone: z.array(undoneWorkSchema),
  abortReason: z.string().nullable(),
});
export type FailuresSection = z.infer<typeof failuresSectionSchema>;

const actionItemSchema = z.strictObject({
  what: z.string(),
  owner: z.string().nullable(),
  /** As the notes wrote it (free text, not necessarily a date). */
  due: z.string().nullable(),
  status: z.string().nullable(),
  ticket: z.string().nullable(),
});
export type ActionItem = z.infer<typeof actionItemSchema>;

const lessonsSectionSchema = z.strictObject({
  /** False: no notes were given, the report shows a placeholder. */
  present: z.boolean(),
  source: z.string().nullable(),
  summary: z.string().nullable(),
  wentWell: z.array(z.string()),
  wentWrong: z.array(z.string()),
  lucky: z.array(z.string()),
  actionItems: z.array(actionItemSchema),
});
export type LessonsSection = z.infer<typeof lessonsSectionSchema>;

const endedHostSchema = z.strictObject({
  host: z.string(),
  hostAnchor: z.string(),
  phase,
  step: z.string(),
  at: time,
  /** The runbook's reason (templated), and what it rests on in one line. */
  reason: z.string(),
  basis: z.string(),
  evidenceIds: z.array(z.string()),
  findings: count,
  highest: severity.nullable(),
});
export type EndedHost = z.infer<typeof endedHostSchema>;

export const reportModelSchema = z.strictObject({
  format: z.literal(REPORT_FORMAT),
  header: reportHeaderSchema,
  summary: reportSummarySchema,
  phases: z.array(phaseTimingSchema),
  timeline: z.array(timelineEntrySchema),
  hosts: z.array(hostRowSchema),
  /** Hosts whose part of the run an `end_host` step ended (left in service), with why. */
  ended: z.array(endedHostSchema),
  findings: findingsSectionSchema,
  evidence: evidenceRegisterSchema,
  actions: actionsSectionSchema,
  metrics: metricsSectionSchema,
  failures: failuresSectionSchema,
  lessons: lessonsSectionSchema,
  /** Present when the run was a drill; rendered by the `drill` partial. */
  drill: drillSectionSchema.optional(),
});
export type ReportModel = z.infer<typeof reportModelSchema>;

/** The JSON Schema of the report model (what `report --format json` prints), for `firebreak schema --report`. */
export function reportJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(reportModelSchema), title: 'firebreak report model' };
}
