/**
 * Failures: unreachable hosts, failed steps with the stderr lines that say why (what ran, where, the
 * exit code, the relevant lines — capped), and what was left undone on the hosts that stopped early.
 */
import type { HostState, PhaseName } from '../core/index.js';
import type { HostTrack, StepRecord } from './fold.js';
import { recapOf } from './hosts.js';
import type { RunData } from './run-data.js';
import type { FailedStep, FailuresSection, UndoneWork } from './types.js';

const STDERR_LINES = 10;
const LINE_CHARS = 300;
/** Lines that usually carry the reason; when none match, the last lines are the best guess. */
const TELLING =
  /error|fail|denied|refused|not found|no such|cannot|can't|unable|invalid|timed? ?out|fatal|abort|killed|permission/i;

/** The stderr lines worth showing: the telling ones if any, else the last ones; each capped. */
export function relevantLines(text: string | undefined, max = STDERR_LINES): string[] {
  const lines = (text ?? '').split(/\r?\n/).filter((l) => l.trim() !== '');
  const telling = lines.filter((l) => TELLING.test(l));
  const pick = telling.length ? telling.slice(-max) : lines.slice(-max);
  return pick.map((l) => (l.length > LINE_CHARS ? `${l.slice(0, LINE_CHARS)}…` : l));
}

function failedStep(r: StepRecord, data: RunData): FailedStep | undefined {
  const o = r.outcome;
  if (!o || r.unreachable || (o.status !== 'failed' && o.status !== 'ignored')) return undefined;
  return {
    host: r.host,
    hostAnchor: data.anchors.get(r.host) ?? '',
    phase: r.phase,
    step: r.step,
    type: r.type,
    status: o.status,
    rc: o.rc ?? null,
    signal: o.signal ?? null,
    timedOut: o.timedOut ?? false,
    attempts: o.attempts ?? 1,
    message: o.message ?? null,
    stderr: relevantLines(o.stderr),
    stderrFile: o.stderrFile ?? null,
  };
}

/** Phases a host that stopped early did not complete. (Steps skipped by `when` were meant to be.) */
function undone(t: HostTrack, phases: readonly PhaseName[], state: HostState | undefined, data: RunData): UndoneWork[] {
  const notDone = phases.filter((p) => t.phases.get(p)?.state !== 'ok');
  if (state === 'ok' || !notDone.length) return [];
  return [
    { host: t.host, hostAnchor: data.anchors.get(t.host) ?? '', what: `phases not completed: ${notDone.join(', ')}` },
  ];
}

export function buildFailures(data: RunData): FailuresSection {
  const tracks = [...data.fold.hosts.values()];
  const phases = data.fold.started?.phases ?? [];
  const unreachable = tracks.flatMap((t) =>
    t.unreachable.map((u) => ({
      host: t.host,
      hostAnchor: data.anchors.get(t.host) ?? '',
      phase: u.phase,
      step: u.step ?? null,
      reason: u.reason,
      message: u.message,
      at: u.at,
    })),
  );
  // A step that failed because the host went away is told by its unreachable entry instead.
  const failedSteps = tracks
    .flatMap((t) => t.steps.map((s) => failedStep(s, data)))
    .filter((f): f is FailedStep => !!f);
  const recap = recapOf(data);
  const undoneWork = tracks.flatMap((t) => undone(t, phases, recap.get(t.host)?.state, data));
  const abortReason = data.fold.aborted?.reason ?? data.summary?.aborted ?? null;
  return {
    total: unreachable.length + failedSteps.filter((f) => f.status === 'failed').length,
    unreachable,
    failedSteps,
    undone: undoneWork,
    abortReason,
  };
}
