/**
 * One pass over the journal: events grouped into what the report sections need — per host, its steps
 * (with their retries, artifacts, findings and host key changes) and its phases; per run, the phase
 * boundaries and how the run ended. Pure; the sections read this instead of re-scanning events.
 */
import type { EventOf, Finding, HostState, PhaseName, RunEvent, StepOutcome, StoredArtifact } from '../core/index.js';

export interface StepRetry {
  attempt: number;
  of: number;
  message: string;
  at: string;
}

/** One step on one host, as far as the journal tells it. */
export interface StepRecord {
  host: string;
  phase: PhaseName;
  step: string;
  /** Position in the runbook; null for a step that was skipped (its event carries no index). */
  index: number | null;
  type: string | null;
  commands: string[];
  startedAt: string | null;
  finishedAt: string | null;
  outcome: StepOutcome | null;
  /** Set when the step was skipped: why. */
  skipped: string | null;
  retries: StepRetry[];
  /** With the time the journal recorded each. */
  artifacts: (StoredArtifact & { at: string })[];
  findings: (Finding & { at: string })[];
  hostKey: { old: string | null; new: string } | null;
  /** The host became unreachable during this step: it failed for want of a connection, not by itself. */
  unreachable: boolean;
}

export interface PhaseSpan {
  startedAt: string | null;
  finishedAt: string | null;
  state: HostState | null;
}

export interface HostTrack {
  host: string;
  steps: StepRecord[];
  phases: Map<PhaseName, PhaseSpan>;
  failed: EventOf<'host.failed'>[];
  unreachable: EventOf<'host.unreachable'>[];
  /** An `end_host` step ended its run early (it stayed in service). */
  ended: EventOf<'host.ended'> | null;
}

export interface RunFold {
  started: EventOf<'run.started'> | undefined;
  finished: EventOf<'run.finished'> | undefined;
  aborted: EventOf<'run.aborted'> | undefined;
  /** Hosts in run.started order, then any others the journal mentions. */
  hosts: Map<string, HostTrack>;
  phaseStarted: EventOf<'phase.started'>[];
  phaseFinished: EventOf<'phase.finished'>[];
  /** Events the fleet timeline lists (failures, retries, host keys) in journal order. */
  notable: RunEvent[];
}

function emptyStep(host: string, phase: PhaseName, step: string): StepRecord {
  return {
    host,
    phase,
    step,
    index: null,
    type: null,
    commands: [],
    startedAt: null,
    finishedAt: null,
    outcome: null,
    skipped: null,
    retries: [],
    artifacts: [],
    findings: [],
    hostKey: null,
    unreachable: false,
  };
}

export function foldEvents(events: readonly RunEvent[]): RunFold {
  const fold: RunFold = {
    started: undefined,
    finished: undefined,
    aborted: undefined,
    hosts: new Map(),
    phaseStarted: [],
    phaseFinished: [],
    notable: [],
  };
  const host = (name: string): HostTrack => {
    let t = fold.hosts.get(name);
    if (!t)
      fold.hosts.set(
        name,
        (t = { host: name, steps: [], phases: new Map(), failed: [], unreachable: [], ended: null }),
      );
    return t;
  };
  // Steps of one host run one after the other: outputs, artifacts and findings belong to its last started step.
  const current = new Map<string, StepRecord>();
  const stepOf = (e: { host: string; phase: PhaseName; step: string }): StepRecord => {
    const c = current.get(e.host);
    if (c && c.phase === e.phase && c.step === e.step) return c;
    const r = emptyStep(e.host, e.phase, e.step);
    host(e.host).steps.push(r);
    current.set(e.host, r);
    return r;
  };
  const span = (name: string, phase: PhaseName): PhaseSpan => {
    const phases = host(name).phases;
    let s = phases.get(phase);
    if (!s) phases.set(phase, (s = { startedAt: null, finishedAt: null, state: null }));
    return s;
  };

  for (const e of events) {
    switch (e.type) {
      case 'run.started':
        fold.started = e;
        for (const h of e.hosts) host(h);
        break;
      case 'run.finished':
        fold.finished = e;
        break;
      case 'run.aborted':
        fold.aborted = e;
        fold.notable.push(e);
        break;
      case 'phase.started':
        fold.phaseStarted.push(e);
        break;
      case 'phase.finished':
        fold.phaseFinished.push(e);
        break;
      case 'host.started':
        span(e.host, e.phase).startedAt ??= e.at;
        break;
      case 'host.finished': {
        const s = span(e.host, e.phase);
        s.finishedAt = e.at;
        s.state = e.state;
        break;
      }
      case 'host.failed':
        host(e.host).failed.push(e);
        fold.notable.push(e);
        break;
      case 'host.ended':
        host(e.host).ended = e;
        fold.notable.push(e);
        break;
      case 'host.unreachable': {
        const t = host(e.host);
        t.unreachable.push(e);
        const lost = [...t.steps].reverse().find((s) => s.phase === e.phase && s.step === e.step);
        if (lost) lost.unreachable = true;
        fold.notable.push(e);
        break;
      }
      case 'step.started': {
        const r = emptyStep(e.host, e.phase, e.step);
        Object.assign(r, { index: e.index, type: e.stepType ?? null, commands: e.commands, startedAt: e.at });
        host(e.host).steps.push(r);
        current.set(e.host, r);
        break;
      }
      case 'step.skipped': {
        const r = emptyStep(e.host, e.phase, e.step);
        r.skipped = e.reason;
        r.finishedAt = e.at;
        host(e.host).steps.push(r);
        break;
      }
      case 'step.retrying':
        stepOf(e).retries.push({ attempt: e.attempt, of: e.of, message: e.message, at: e.at });
        fold.notable.push(e);
        break;
      case 'step.finished': {
        const r = stepOf(e);
        r.index ??= e.index;
        r.outcome = e.outcome;
        r.finishedAt = e.at;
        current.delete(e.host);
        break;
      }
      case 'evidence.stored':
        stepOf(e).artifacts.push({ ...e.artifact, at: e.at });
        break;
      case 'finding':
        stepOf(e).findings.push({ ...e.finding, host: e.finding.host || e.host, at: e.at });
        break;
      case 'hostkey.replaced':
        stepOf(e).hostKey = { old: e.oldFingerprint, new: e.newFingerprint };
        fold.notable.push(e);
        break;
      default:
        break;
    }
  }
  return fold;
}

/** Every step record of every host, in host order. */
export function allSteps(fold: RunFold): StepRecord[] {
  return [...fold.hosts.values()].flatMap((h) => h.steps);
}

/** The step failed by itself (not for want of a connection to its host). */
export function failedOnItsOwn(r: StepRecord): boolean {
  return r.outcome?.status === 'failed' && !r.unreachable;
}

/** The step ended well: ran and succeeded (with or without changes). */
export function succeeded(r: StepRecord): boolean {
  return r.outcome?.status === 'ok' || r.outcome?.status === 'changed';
}
