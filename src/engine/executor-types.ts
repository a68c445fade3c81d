/**
 * What the executor needs from the rest of the program, as plain data and injected functions:
 * the runbook's phases (opaque steps), a per-step planner, a condition evaluator and an evidence
 * analyzer for the planned steps, a transport factory, a clock, sinks.
 * Nothing here imports the planner: the executor runs any step the injected `planStep` can plan,
 * so unit tests drive it with tiny fake runbooks and an in-memory transport.
 */
import type { CollectedOutput, EventSink, Host, PhaseName, RunEvent, Transport } from '../core/index.js';
import type { CaseRecord, EvidenceStore } from '../evidence/index.js';
import type { AnalyzeFn, EvaluateFn, PlannedStep } from './planned-step.js';
import type { RunPosition } from './replay.js';

export type { CollectedOutput };
export type { RegisteredResult } from '../core/index.js';
export type { AnalyzeFn, Condition, ConditionField, ConditionScope, EvaluateFn, PlannedStep } from './planned-step.js';

/** An event before the emitter stamps `at`. */
export type EventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'at'> : never) : never;

/** How a host ended a phase. */
export type HostPhaseResult = 'ok' | 'failed' | 'unreachable' | 'aborted';

/**
 * Hosts whose phases run elsewhere: on a worker of their network segment, over the bus (src/bus).
 * The executor keeps phases, batches, max-fail, confirmation and abort; only a host's phase moves.
 */
export interface RemotePhases {
  /** Whether this host's phases run remotely. */
  owns(host: Host): boolean;
  runPhase(host: Host, phase: PhaseName, indexes: readonly number[], io: RemotePhaseIo): Promise<HostPhaseResult>;
}

/** What a remote host-phase reads from and gives back to the run. */
export interface RemotePhaseIo {
  runId: string;
  emit: (event: EventInput) => void;
  /** The host's registered values: sent with the work, replaced by what the worker registered. */
  registered: Record<string, unknown>;
  signal: AbortSignal;
  stopping: () => boolean;
  /** The run's evidence store, where relayed artifacts are stored (hashed again). */
  evidence: () => Promise<EvidenceStore>;
  runDir: string;
  /** Resumed: the journal says the host entered this phase (its work was sent) before the crash. */
  entered: boolean;
}

/** What `planStep` sees besides the step itself. */
export interface StepContext {
  host: Host;
  /** The run's id (for unique remote temp paths). */
  runId: string;
  phase: PhaseName;
  /** 1-based position of the step in the whole runbook (phases concatenated). */
  index: number;
  /** Values registered by earlier steps on this host (read-only for the planner). */
  registered: Readonly<Record<string, unknown>>;
}

/** Plans one step for one host. May throw (a template error): the step then fails on that host. */
export type PlanStepFn<S> = (step: S, ctx: StepContext) => PlannedStep | Promise<PlannedStep>;

/** Ansible's `serial`: a batch size, a percentage (`"30%"`), or a list of them (the last one repeats). */
export type Serial = number | string | readonly (number | string)[];

/** One phase of a runbook, as the executor needs it. */
export interface PhaseSpec<S> {
  steps: readonly S[];
  serial?: Serial;
  /** Stop the run when more than this percentage of a batch's hosts failed (0 = any failure). */
  max_fail_percentage?: number;
  /** Ask before running the phase: true, or the question to ask. */
  confirm?: boolean | string;
}

export interface RunbookSpec<S> {
  name: string;
  phases: Partial<Record<PhaseName, PhaseSpec<S>>>;
}

/** Time, injected so tests do not sleep. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or early (without throwing) when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Caps on what output reaches events (full outputs always go to files). */
export interface OutputLimits {
  /** `step.output` lines per step and host (default 20). */
  linesPerStep: number;
  /** Characters per `step.output` line (default 300). */
  lineChars: number;
  /** Characters of stdout/stderr kept in `step.finished` and in memory for `register` (default 64 KiB). */
  headChars: number;
  /** Bytes the transport keeps in memory per stream before spilling to the output file (default 4 MiB). */
  maxInMemoryBytes: number;
  /** Bytes of one stream kept in the step's output file (default LIMITS.outputFileBytes, 1 GiB). */
  maxFileBytes: number;
}

export interface RunOptions<S> {
  runbook: RunbookSpec<S>;
  hosts: readonly Host[];
  planStep: PlanStepFn<S>;
  /** Evaluates a planned step's `failed_when` / `until` (run-runbook: the runbook's templates). */
  evaluate: EvaluateFn;
  /** Runs a planned step's `analysis` (run-runbook: the step type's parsers). */
  analyze: AnalyzeFn;
  /** Creates the (not yet connected) transport of a host; called at most once per host. */
  transportFor: (host: Host) => Transport;
  /** Hosts working at once (default 100). */
  forks?: number;
  /** Evidence commands run at once on one host's connection (default 4; 1 runs them one by one). */
  evidenceChannels?: number;
  /** Where run directories are created (default `runs`). */
  runsDir?: string;
  /** Renderers and other subscribers; the journal is always first. */
  sinks?: readonly EventSink[];
  /** Asked before a phase with `confirm`; false aborts the run (exit 4). Without it, such phases are refused. */
  confirm?: (phase: PhaseName, message: string) => Promise<boolean>;
  clock?: Clock;
  /** Sudo password for steps with `become` (also added to the redaction list). */
  becomePassword?: string;
  /** Secret strings (become/ssh passwords) redacted from the journal and output files. */
  secrets?: readonly (string | undefined)[];
  /** Aborting it aborts the run, like `RunHandle.abort`. */
  signal?: AbortSignal;
  outputLimits?: Partial<OutputLimits>;
  /** fsync the journal at boundaries and the evidence store's writes (default true). */
  fsync?: boolean;
  /**
   * Evidence store options (a responder's signing key, the keyring its public half is recorded in).
   * The store is opened on the first evidence action, or at the end of the run to seal it.
   */
  evidence?: { signingKeyFile?: string; signingKeyPassphrase?: string; keyringDir?: string; caseRecord?: CaseRecord };
  /**
   * Called once the run directory exists, before the first event: files the caller puts there (the
   * incident metadata) are then sealed with the run.
   */
  prepareRunDir?: (runDir: string) => void;
  /** Bound on closing all connections at the end (default 10 s). */
  closeTimeoutMs?: number;
  /** What the run was started with, journaled as `run.inputs` right after `run.started` (resume reads it). */
  inputs?: Record<string, unknown>;
  /** Continue a crashed run in its own directory (`firebreak resume`) instead of starting a new one. */
  resume?: ResumePoint;
  /** Hosts whose phases run on workers in their network segments (distributed runs, src/bus). */
  remote?: RemotePhases;
}

/** Where a crashed run stood, from its journal (resume.ts prepares it). */
export interface ResumePoint {
  runDir: string;
  /** Every event journaled so far: the recap is folded from them. */
  events: readonly RunEvent[];
  position: RunPosition;
}

/** Final counts, also written as `summary.json`. */
export interface RunSummary {
  runId: string;
  runbook: string;
  runDir: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  exitCode: number;
  /** Why the run stopped early, when it did. */
  aborted?: string;
  counts: { hosts: number; ok: number; failed: number; unreachable: number; aborted: number };
  recap: import('../core/index.js').HostRecap[];
}

/** A started run. */
export interface RunHandle {
  runId: string;
  /** Absolute path of the run directory. */
  runDir: string;
  /** Stop scheduling, kill running commands, close connections; the run ends with exit code 4. */
  abort(reason: string): void;
  /** Resolves when the run has ended, `summary.json` is written and the run directory is sealed. Never rejects for host failures. */
  done: Promise<RunSummary>;
}
