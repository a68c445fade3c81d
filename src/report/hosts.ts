/**
 * The per-host part of the report: one row per host (state per phase, findings by severity, evidence
 * count, response times) with its steps for the host's own section.
 */
import { hostEndBasis, type HostRecap, type HostState } from '../core/index.js';
import { type HostTrack, type StepRecord } from './fold.js';
import { hostTimes, runStartOf } from './metrics.js';
import type { RunData } from './run-data.js';
import { between } from './stats.js';
import { countBySeverity } from './severity.js';
import type { EndedHost, HostPhaseView, HostRow, StepView } from './types.js';

export function stepView(r: StepRecord, runStart: string | null): StepView {
  const o = r.outcome;
  const status = r.skipped !== null ? 'skipped' : r.unreachable ? 'unreachable' : (o?.status ?? 'running');
  const note =
    r.skipped ??
    (o && (o.status === 'failed' || o.status === 'ignored') ? (o.message ?? 'failed') : o ? null : 'did not finish');
  return {
    phase: r.phase,
    step: r.step,
    index: r.index,
    type: r.type,
    status,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: o?.durationMs ?? between(r.startedAt, r.finishedAt),
    offsetMs: between(runStart, r.startedAt ?? r.finishedAt),
    attempts: o?.attempts ?? (r.startedAt ? 1 : 0),
    retries: r.retries.length,
    rc: o?.rc ?? null,
    note,
    artifacts: r.artifacts.length,
    findings: r.findings.length,
  };
}

/** The recap the run wrote at its end; when it never ended, what the journal says. */
export function recapOf(data: RunData): Map<string, HostRecap> {
  const recap = data.fold.finished?.recap ?? data.summary?.recap;
  if (recap) return new Map(recap.map((r) => [r.host, r]));
  return new Map([...data.fold.hosts.values()].map((t) => [t.host, derivedRecap(t)]));
}

function derivedRecap(t: HostTrack): HostRecap {
  const count = (s: string) => t.steps.filter((r) => (r.skipped !== null ? 'skipped' : r.outcome?.status) === s).length;
  const phases = [...t.phases.values()];
  const state: HostState = t.unreachable.length
    ? 'unreachable'
    : t.failed.length
      ? 'failed'
      : phases.some((p) => p.state === null)
        ? 'running'
        : (phases.at(-1)?.state ?? 'pending');
  return {
    host: t.host,
    state,
    ok: count('ok'),
    changed: count('changed'),
    failed: count('failed'),
    skipped: count('skipped'),
    ignored: count('ignored'),
    unreachable: t.unreachable.length > 0,
  };
}

export function buildHostRows(data: RunData): HostRow[] {
  const start = runStartOf(data);
  const recap = recapOf(data);
  const phases = data.fold.started?.phases ?? [];
  return [...data.fold.hosts.values()].map((t) => {
    const findings = t.steps.flatMap((s) => s.findings);
    const r = recap.get(t.host);
    const phaseViews: HostPhaseView[] = phases.map((phase) => {
      const s = t.phases.get(phase);
      return {
        phase,
        state: s?.state ?? null,
        startedAt: s?.startedAt ?? null,
        finishedAt: s?.finishedAt ?? null,
        durationMs: between(s?.startedAt, s?.finishedAt),
      };
    });
    const times = hostTimes(t, start);
    return {
      host: t.host,
      anchor: data.anchors.get(t.host)!,
      state: r?.state ?? 'pending',
      message: r?.message ?? null,
      phases: phaseViews,
      findingsBySeverity: countBySeverity(findings),
      findings: findings.length,
      evidence: t.steps.reduce((n, s) => n + s.artifacts.length, 0),
      steps: t.steps.map((s) => stepView(s, start)),
      containMs: times.containMs,
      collectMs: times.collectMs,
      recoverMs: times.recoverMs,
    };
  });
}

/** Hosts an `end_host` step took out of the run, in host order: the decision and what it rests on. */
export function buildEndedHosts(data: RunData): EndedHost[] {
  return [...data.fold.hosts.values()].flatMap((t) => {
    const e = t.ended;
    if (!e) return [];
    return [
      {
        host: t.host,
        hostAnchor: data.anchors.get(t.host)!,
        phase: e.phase,
        step: e.step,
        at: e.at,
        reason: e.reason,
        basis: hostEndBasis(e),
        evidenceIds: e.evidence,
        findings: e.findings,
        highest: e.highest,
      },
    ];
  });
}
