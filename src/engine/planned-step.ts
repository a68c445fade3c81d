/**
 * The plan as data: one step planned for one host, in plain JSON (no functions, no class instances),
 * so a plan can be journaled, compared and shipped to another process. What needs code at run time —
 * a `failed_when` / `until` condition, the step type's parsers over its evidence — is named here and
 * run by functions the executor is given (`RunOptions.evaluate`, `RunOptions.analyze`).
 * The planner produces this type and the executor consumes it; this module imports neither.
 */
import type {
  Action,
  CollectedOutput,
  Finding,
  FindingSeverity,
  Host,
  HostEnd,
  RegisteredResult,
} from '../core/index.js';

/** A runbook condition as written there: an expression or template, or a literal boolean. */
export type Condition = string | boolean;

/** One step, planned for one host just before it runs (so `when` and templates see registered values). */
export interface PlannedStep {
  /** Display name: the step's `name`, or `<type>: <summary>`. */
  name: string;
  /** The step type (`collect`, `isolate`…), for the journal, the report and the analysis. */
  type: string;
  /** Set when the step must not run on this host (`when` false, tags); the text is the reason. */
  skip?: string;
  actions: Action[];
  /**
   * User to become via sudo for exec and evidence actions marked `become` (`become: true` is root).
   * The password is never in the plan: the executor takes it from `RunOptions.becomePassword`.
   */
  become?: string;
  /** Per exec action; also bounds each attempt of `reconnect`-free transfers. */
  timeoutMs: number;
  /** Extra attempts after the first failing one (0 = run once). */
  retries: number;
  delayMs: number;
  register?: string;
  ignoreErrors: boolean;
  /** Replaces the default failure test (rc != 0). A timeout always fails. */
  failedWhen?: Condition;
  /** Retry (up to `retries`) until this holds (Ansible `until`); without it, retry until the step does not fail. */
  until?: Condition;
  /** A successful run reports `changed` rather than `ok`. */
  changes: boolean;
  /** The step type's parsers run over its evidence outputs, with these (rendered, parsed) params. */
  analysis?: { params: unknown };
  /** Fail the step when the analysis reports a finding this severe or worse. */
  failOnFindings?: FindingSeverity;
  /** `resume` may run the step again when a crash caught it running: it only reads, or a second run does no harm. */
  rerunSafe?: boolean;
  /**
   * For `resume`, when a crash caught the step running: a command asking the host whether its effect
   * is in place. Its last line of output is `done: <what it saw>`, `absent: <why>` or `unknown: <why>`.
   */
  verify?: string;
  /** An `end_host` step: once it ran, the host's part of the run ends here (not failed). */
  endHost?: HostEnd;
}

/** Which condition of a step is being evaluated (for error messages). */
export type ConditionField = 'failed_when' | 'until';

/** What a condition is evaluated against: the host, its registered values and the result under test. */
export interface ConditionScope {
  host: Host;
  /** Values registered by earlier steps on this host. */
  registered: Readonly<Record<string, unknown>>;
  result: RegisteredResult;
  /** The step's `register` name: the result is visible under it too. */
  register?: string;
  /** The step's display name and the condition's field, for error messages. */
  step: string;
  field: ConditionField;
}

/** Evaluates a plan's condition. May throw (a TemplateError): the step then fails with its message. */
export type EvaluateFn = (condition: Condition, scope: ConditionScope) => boolean;

/** Runs the parsers of a planned step's type over its evidence outputs (called only when `analysis` is set). */
export type AnalyzeFn = (planned: PlannedStep, outputs: CollectedOutput[], host: Host) => Finding[];
