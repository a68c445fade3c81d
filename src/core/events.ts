/**
 * The engine's only output: a typed event union. Renderers, the journal and the report subscribe.
 * Every event carries `at` (ISO-8601 UTC). Events are plain JSON (they are journaled as-is),
 * and never contain secrets.
 */
import type { PhaseName, StepStatus, HostState } from './phases.js';
import type { Finding, FindingSeverity } from './finding.js';

/** An artifact as the journal records it (the evidence manifest has the full entry). */
export interface StoredArtifact {
  id: string;
  label: string;
  source: { kind: 'command' | 'file'; value: string };
  size: number;
  sha256: string;
  sha256AtSource: string | null;
  match: boolean | null;
  /** Exit code of the collecting command on the host. */
  rc: number | null;
}

/** Summary of one finished step on one host, as journaled (outputs capped; full outputs are files). */
export interface StepOutcome {
  status: StepStatus;
  /** Exit code of the last command, when the step ran commands. */
  rc?: number | null;
  signal?: string | null;
  timedOut?: boolean;
  durationMs: number;
  /** Capped heads of the outputs. */
  stdout?: string;
  stderr?: string;
  /** Run-dir-relative paths of the full outputs, when written. */
  stdoutFile?: string;
  stderrFile?: string;
  /** An output file stopped at the output cap: what was printed and what was kept. */
  outputCapped?: string;
  /** Why it failed, in one human sentence. */
  message?: string;
  /** The step failed because the host could not be reached (a `host.unreachable` event follows). */
  unreachable?: boolean;
  attempts?: number;
  /** Set by `resume` for a step the controller's crash caught running: what it decided, and why. */
  resumed?: string;
}

export interface HostRecap {
  host: string;
  state: HostState;
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  ignored: number;
  unreachable: boolean;
  /** Message of the failure or unreachability. */
  message?: string;
  /** An `end_host` step ended the host's run early (it stays ok): why, and what that rests on. */
  ended?: string;
  endedBasis?: string;
}

interface Base {
  at: string;
  /** Relayed by a worker (distributed runs): the envelope's id on the bus, so a re-attached controller skips it. */
  bus?: string;
}

export type RunEvent = Base &
  (
    | {
        type: 'run.started';
        runId: string;
        runbook: string;
        runDir: string;
        hosts: string[];
        phases: PhaseName[];
        forks: number;
      }
    | { type: 'phase.started'; phase: PhaseName; batch: number; batches: number; hosts: string[] }
    | { type: 'phase.finished'; phase: PhaseName; batch: number; batches: number; ok: string[]; failed: string[] }
    | { type: 'host.started'; host: string; phase: PhaseName }
    | { type: 'host.finished'; host: string; phase: PhaseName; state: HostState }
    /** A distributed run: the host's phase waits for a worker of its network segment (none has taken it, or its worker went silent). */
    | { type: 'host.waiting'; host: string; phase: PhaseName; segment: string; message: string }
    | { type: 'host.unreachable'; host: string; phase: PhaseName; step?: string; reason: string; message: string }
    | { type: 'host.failed'; host: string; phase: PhaseName; step: string; message: string }
    /**
     * An `end_host` step ended the host's part of the run (it is not failed: no later step or phase runs
     * on it). `evidence`: the artifacts the decision rests on; `highest`: the worst finding among them.
     */
    | {
        type: 'host.ended';
        host: string;
        phase: PhaseName;
        step: string;
        index: number;
        reason: string;
        evidence: string[];
        findings: number;
        highest: FindingSeverity | null;
      }
    | {
        type: 'step.started';
        host: string;
        phase: PhaseName;
        step: string;
        index: number;
        commands: string[];
        stepType?: string;
      }
    | { type: 'step.output'; host: string; phase: PhaseName; step: string; stream: 'stdout' | 'stderr'; text: string }
    | {
        type: 'step.retrying';
        host: string;
        phase: PhaseName;
        step: string;
        attempt: number;
        of: number;
        delayMs: number;
        message: string;
      }
    | { type: 'step.skipped'; host: string; phase: PhaseName; step: string; index?: number; reason: string }
    | { type: 'step.finished'; host: string; phase: PhaseName; step: string; index: number; outcome: StepOutcome }
    | { type: 'evidence.stored'; host: string; phase: PhaseName; step: string; artifact: StoredArtifact }
    | { type: 'finding'; host: string; phase: PhaseName; step: string; finding: Finding }
    | {
        type: 'hostkey.replaced';
        host: string;
        phase: PhaseName;
        step: string;
        oldFingerprint: string | null;
        newFingerprint: string;
      }
    /** What the run was started with (runbook, params, hosts, options; never a secret): resume reads it. */
    | { type: 'run.inputs'; inputs: Record<string, unknown> }
    /**
     * The run continues after its controller died. `inFlight`: what each host was running at the crash
     * and what resume decided about it; `tornTail`: the bytes of a half-written last journal line.
     */
    | {
        type: 'run.resumed';
        resume: number;
        lastEventAt?: string;
        /** Each host's step that was running at the crash; what resume did with it is in that step's `outcome.resumed`. */
        inFlight: { host: string; step: string; index: number }[];
        tornTail?: { bytes: number; sha256: string; file: string };
      }
    | { type: 'run.aborted'; reason: string }
    | { type: 'run.finished'; exitCode: number; durationMs: number; recap: HostRecap[] }
  );

export type RunEventType = RunEvent['type'];
export type EventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;

/** Something that receives events: a renderer, the journal, a test recorder. */
export interface EventSink {
  emit(event: RunEvent): void;
}
