/**
 * The top of the report: who, what and when (incident id, title, severity, status, responders, run,
 * versions, UTC times), and the summary numbers a reader wants first.
 */
import { severityRank, type FindingSeverity } from '../core/index.js';
import { allSteps, failedOnItsOwn, succeeded, type StepRecord } from './fold.js';
import { recapOf } from './hosts.js';
import type { RunData } from './run-data.js';
import { countBySeverity, isSevere } from './severity.js';
import type { EvidenceStatus, ReportHeader, ReportSummary } from './types.js';

/** Hosts on which a step of this type ended ok. */
function hostsWith(steps: readonly StepRecord[], type: string): number {
  return new Set(steps.filter((s) => s.type === type && succeeded(s)).map((s) => s.host)).size;
}

export function buildSummary(data: RunData, evidenceStatus: EvidenceStatus): ReportSummary {
  const steps = allSteps(data.fold);
  const findings = steps.flatMap((s) => s.findings);
  const recap = [...recapOf(data).values()];
  const state = (s: string) => recap.filter((r) => r.state === s).length;
  return {
    hostsTargeted: data.fold.hosts.size,
    hostsOk: state('ok'),
    hostsIsolated: hostsWith(steps, 'isolate'),
    hostsWithFindings: new Set(
      findings.filter((f) => severityRank(f.severity) >= severityRank('medium')).map((f) => f.host),
    ).size,
    hostsWithSevereFindings: new Set(findings.filter((f) => isSevere(f.severity)).map((f) => f.host)).size,
    hostsRebuilt: hostsWith(steps, 'rebuild'),
    hostsRestored: hostsWith(steps, 'restore'),
    hostsFailed: state('failed'),
    hostsUnreachable: state('unreachable'),
    hostsAborted: state('aborted'),
    stepsRun: steps.filter((s) => s.startedAt !== null).length,
    stepsFailed: steps.filter(failedOnItsOwn).length,
    stepsSkipped: steps.filter((s) => s.skipped !== null).length,
    stepRetries: steps.reduce((n, s) => n + s.retries.length, 0),
    findings: findings.length,
    findingsBySeverity: countBySeverity(findings),
    artifacts: steps.reduce((n, s) => n + s.artifacts.length, 0),
    evidenceStatus,
  };
}

function outcomeOf(data: RunData, exitCode: number | null): string {
  if (data.fold.aborted || data.summary?.aborted) return 'aborted';
  if (exitCode === null) return 'incomplete (the run has no recorded end)';
  return exitCode === 0 ? 'completed' : 'completed with failures';
}

/** Declared status, else what the run achieved on every targeted host. */
function statusOf(data: RunData, summary: ReportSummary): string {
  const declared = data.notes?.notes.status;
  if (declared) return declared;
  const n = summary.hostsTargeted;
  if (n > 0 && summary.hostsRestored === n) return 'recovered';
  if (n > 0 && summary.hostsIsolated === n) return 'contained';
  return 'open';
}

export function buildHeader(data: RunData, summary: ReportSummary, version: string, now: Date): ReportHeader {
  const { fold, incident, notes } = data;
  const n = notes?.notes;
  const startedAt = fold.started?.at ?? data.summary?.startedAt ?? null;
  const finishedAt = fold.finished?.at ?? data.summary?.finishedAt ?? null;
  const exitCode = fold.finished?.exitCode ?? data.summary?.exitCode ?? null;
  const runbook = fold.started?.runbook ?? data.summary?.runbook ?? 'unknown';
  // The notes are what responders wrote last, so they win over what was said when the run started.
  const severity: FindingSeverity | null = n?.severity ?? incident?.severity ?? null;
  return {
    incidentId: n?.incident ?? incident?.id ?? null,
    title: n?.title ?? incident?.title ?? `Run of ${runbook}`,
    severity,
    status: statusOf(data, summary),
    responders: n?.responders ?? [],
    runId: data.runId,
    runbook,
    firebreakVersion: incident?.firebreakVersion ?? version,
    reportVersion: version,
    startedAt,
    finishedAt,
    durationMs: fold.finished?.durationMs ?? data.summary?.durationMs ?? null,
    exitCode,
    outcome: outcomeOf(data, exitCode),
    abortReason: fold.aborted?.reason ?? data.summary?.aborted ?? null,
    startedBy: incident?.startedBy ?? null,
    generatedAt: now.toISOString(),
    journalUnreadableLines: data.journalUnreadable.length,
  };
}
