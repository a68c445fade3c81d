/**
 * Time, fleet-wide: how long each phase took (first batch start → last batch end), and the run's
 * timeline of notable moments — run and phase boundaries, retries, failures, unreachable hosts, host
 * key changes, the abort. Each host's own steps are in its section (hosts.ts), so the fleet timeline
 * stays readable at 500 hosts.
 */
import { describeHostEnd, type PhaseName, type RunEvent } from '../core/index.js';
import { runStartOf } from './metrics.js';
import type { RunData } from './run-data.js';
import { between } from './stats.js';
import type { PhaseTiming, TimelineEntry } from './types.js';

export function buildPhaseTimings(data: RunData): PhaseTiming[] {
  const phases: PhaseName[] = data.fold.started?.phases ?? [...new Set(data.fold.phaseStarted.map((p) => p.phase))];
  return phases.map((phase) => {
    const starts = data.fold.phaseStarted.filter((p) => p.phase === phase);
    const ends = data.fold.phaseFinished.filter((p) => p.phase === phase);
    const startedAt = starts[0]?.at ?? null;
    const finishedAt = ends.length && ends.length === starts.length ? ends[ends.length - 1]!.at : null;
    return {
      phase,
      startedAt,
      finishedAt,
      durationMs: between(startedAt, finishedAt),
      batches: starts.length,
      hostsOk: ends.reduce((n, e) => n + e.ok.length, 0),
      hostsFailed: ends.reduce((n, e) => n + e.failed.length, 0),
    };
  });
}

function describe(e: RunEvent): Omit<TimelineEntry, 'at' | 'offsetMs' | 'event'> | undefined {
  switch (e.type) {
    case 'run.started':
      return {
        level: 'info',
        host: null,
        phase: null,
        step: null,
        text: `run started: runbook ${e.runbook} on ${e.hosts.length} host(s), phases ${e.phases.join(', ')}`,
      };
    case 'phase.started':
      return {
        level: 'info',
        host: null,
        phase: e.phase,
        step: null,
        text: `${e.phase} started${e.batches > 1 ? ` (batch ${e.batch}/${e.batches})` : ''} on ${e.hosts.length} host(s)`,
      };
    case 'phase.finished':
      return {
        level: e.failed.length ? 'warning' : 'info',
        host: null,
        phase: e.phase,
        step: null,
        text: `${e.phase} finished${e.batches > 1 ? ` (batch ${e.batch}/${e.batches})` : ''}: ${e.ok.length} ok, ${e.failed.length} failed`,
      };
    case 'host.failed':
      return {
        level: 'error',
        host: e.host,
        phase: e.phase,
        step: e.step,
        text: `failed at step "${e.step}": ${e.message}`,
      };
    case 'host.ended':
      return {
        level: 'info',
        host: e.host,
        phase: e.phase,
        step: e.step,
        text: `run ended by step "${e.step}": ${describeHostEnd(e)}`,
      };
    case 'host.unreachable':
      return {
        level: 'error',
        host: e.host,
        phase: e.phase,
        step: e.step ?? null,
        text: `unreachable${e.step ? ` at step "${e.step}"` : ''} (${e.reason}): ${e.message}`,
      };
    case 'step.retrying':
      return {
        level: 'warning',
        host: e.host,
        phase: e.phase,
        step: e.step,
        text: `step "${e.step}" retrying (attempt ${e.attempt} of ${e.of} failed): ${e.message}`,
      };
    case 'hostkey.replaced':
      return {
        level: 'warning',
        host: e.host,
        phase: e.phase,
        step: e.step,
        text: `host key replaced by step "${e.step}": ${e.oldFingerprint ?? 'none'} → ${e.newFingerprint}`,
      };
    case 'run.aborted':
      return { level: 'error', host: null, phase: null, step: null, text: `run aborted: ${e.reason}` };
    case 'run.resumed':
      return { level: 'warning', host: null, phase: null, step: null, text: resumedText(e) };
    case 'run.finished':
      return {
        level: e.exitCode === 0 ? 'info' : 'warning',
        host: null,
        phase: null,
        step: null,
        text: `run finished with exit code ${e.exitCode}`,
      };
    default:
      return undefined;
  }
}

export function buildTimeline(data: RunData): TimelineEntry[] {
  const start = runStartOf(data);
  const out: TimelineEntry[] = [];
  for (const e of data.events) {
    const d = describe(e);
    if (d) out.push({ at: e.at, offsetMs: between(start, e.at) ?? 0, event: e.type, ...d });
  }
  return out;
}

/** The interruption, as the timeline tells it: when the controller went silent, what resume did. */
function resumedText(e: Extract<RunEvent, { type: 'run.resumed' }>): string {
  const since = e.lastEventAt ? ` (the controller went silent after ${e.lastEventAt})` : '';
  const steps = e.inFlight.map((f) => `${f.host} step ${f.index} "${f.step}"`).join('; ');
  const torn = e.tornTail ? `; a torn last journal line (${e.tornTail.bytes} bytes) kept in ${e.tornTail.file}` : '';
  return `run resumed (${e.resume})${since}${steps ? `; in flight at the crash: ${steps}` : ''}${torn}`;
}
