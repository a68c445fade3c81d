/**
 * A run's journal read back into where each host stands: the phases it completed, the steps it
 * finished (with what they registered), the step the crash caught it in, whether it is out of the
 * run. `resume` continues from here. Pure: events in, positions out.
 *
 * Attribution: a host runs one step at a time, so every `evidence.stored` and `finding` of a host
 * between its `step.started` and `step.finished` belongs to that step.
 */
import type { Finding, PhaseName, RegisteredResult, RunEvent, StepOutcome, StoredArtifact } from '../core/index.js';

/** A step of one host that finished before the crash. */
export interface FinishedStep {
  index: number;
  phase: PhaseName;
  name: string;
  outcome: StepOutcome;
  artifacts: StoredArtifact[];
  findings: Finding[];
}

/** A step of one host that started and never finished: the crash caught it running. */
export interface InFlightStep {
  index: number;
  phase: PhaseName;
  name: string;
  stepType?: string;
  /** What it stored before the crash (kept: evidence is never thrown away). */
  artifacts: StoredArtifact[];
}

export interface HostPosition {
  host: string;
  /** Phases the host finished, and how. */
  phases: Partial<Record<PhaseName, 'ok' | 'failed' | 'unreachable' | 'aborted'>>;
  /** The phases it entered (`host.started`). */
  entered: PhaseName[];
  /** By 1-based step index across the runbook. */
  finished: Map<number, FinishedStep>;
  /** Steps skipped (`when` false, tags), by index where the journal says it. */
  skipped: Set<number>;
  inFlight?: InFlightStep;
  /** Out of the run for good: failed or unreachable in some phase. */
  out?: 'failed' | 'unreachable';
  /** An `end_host` step ended its run (`host.ended` is journaled). */
  ended?: boolean;
}

/** What the journal says about the run as a whole. */
export interface RunPosition {
  runId: string;
  hosts: Map<string, HostPosition>;
  /** Phase batches whose `phase.started` / `phase.finished` is journaled, as `phase#batch`. */
  batchesStarted: Set<string>;
  batchesDone: Set<string>;
  /** Phases with at least one `phase.started` (their confirmation, if any, was given). */
  phasesStarted: Set<PhaseName>;
  /** The run ended (run.finished): nothing to resume. */
  finished: boolean;
  /** Times resumed before (run.resumed events). */
  resumes: number;
  /** The last event's time. */
  lastAt?: string;
}

export const batchKey = (phase: PhaseName, batch: number): string => `${phase}#${batch}`;

export function replayJournal(events: readonly RunEvent[]): RunPosition {
  const started = events.find((e) => e.type === 'run.started');
  if (!started || started.type !== 'run.started') throw new Error('the journal has no run.started event');
  const hosts = new Map<string, HostPosition>();
  const get = (host: string): HostPosition => {
    let p = hosts.get(host);
    if (!p) hosts.set(host, (p = { host, phases: {}, entered: [], finished: new Map(), skipped: new Set() }));
    return p;
  };
  for (const h of started.hosts) get(h);
  const pos: RunPosition = {
    runId: started.runId,
    hosts,
    batchesStarted: new Set(),
    batchesDone: new Set(),
    phasesStarted: new Set(),
    finished: false,
    resumes: 0,
  };
  /** The step each host is in, with what it produced so far. */
  const current = new Map<string, InFlightStep & { findings: Finding[] }>();
  for (const e of events) {
    pos.lastAt = e.at;
    switch (e.type) {
      case 'run.resumed':
        pos.resumes++;
        // Whatever was in flight at the previous crash was decided by that resume.
        current.clear();
        break;
      case 'phase.started':
        pos.phasesStarted.add(e.phase);
        pos.batchesStarted.add(batchKey(e.phase, e.batch));
        break;
      case 'phase.finished':
        pos.batchesDone.add(batchKey(e.phase, e.batch));
        break;
      case 'host.started': {
        const p = get(e.host);
        if (!p.entered.includes(e.phase)) p.entered.push(e.phase);
        break;
      }
      case 'step.started':
        current.set(e.host, {
          index: e.index,
          phase: e.phase,
          name: e.step,
          ...(e.stepType ? { stepType: e.stepType } : {}),
          artifacts: [],
          findings: [],
        });
        break;
      case 'evidence.stored':
        current.get(e.host)?.artifacts.push(e.artifact);
        break;
      case 'finding':
        current.get(e.host)?.findings.push(e.finding);
        break;
      case 'step.skipped':
        if (e.index !== undefined) get(e.host).skipped.add(e.index);
        break;
      case 'step.finished': {
        const c = current.get(e.host);
        current.delete(e.host);
        const mine = c && c.index === e.index;
        get(e.host).finished.set(e.index, {
          index: e.index,
          phase: e.phase,
          name: e.step,
          outcome: e.outcome,
          artifacts: mine ? c.artifacts : [],
          findings: mine ? c.findings : [],
        });
        break;
      }
      case 'host.failed':
        get(e.host).out ??= 'failed';
        break;
      case 'host.unreachable':
        get(e.host).out = 'unreachable';
        break;
      case 'host.ended':
        get(e.host).ended = true;
        break;
      case 'host.finished':
        get(e.host).phases[e.phase] = e.state === 'ok' ? 'ok' : (e.state as 'failed' | 'unreachable' | 'aborted');
        break;
      case 'run.finished':
        pos.finished = true;
        break;
      default:
        break;
    }
  }
  for (const [host, c] of current) {
    const { findings: _findings, ...step } = c;
    get(host).inFlight = step;
  }
  return pos;
}

/** What a finished step registered, rebuilt from its journaled outcome (stdout/stderr heads as registered). */
export function registeredOf(f: FinishedStep): RegisteredResult {
  const o = f.outcome;
  const lines = (t: string): string[] => (t === '' ? [] : t.replace(/\r?\n$/, '').split(/\r?\n/));
  const stdout = o.stdout ?? '';
  const stderr = o.stderr ?? '';
  return {
    rc: o.rc ?? null,
    stdout,
    stderr,
    stdout_lines: lines(stdout),
    stderr_lines: lines(stderr),
    signal: o.signal ?? null,
    timedOut: o.timedOut ?? false,
    failed: o.status === 'failed' || o.status === 'ignored',
    changed: o.status === 'changed',
    skipped: false,
    duration_ms: o.durationMs,
    attempts: o.attempts ?? 1,
    ...(f.artifacts.length ? { artifacts: f.artifacts } : {}),
    ...(f.findings.length ? { findings: f.findings } : {}),
  };
}
