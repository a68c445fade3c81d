/**
 * One host through one phase: plan each step just before it runs (so `when` and templates see what
 * earlier steps registered), run it with retries, record the outcome, stop at the first real failure.
 * Emits events only; the executor decides what a host's failure means for the run.
 */
import {
  describeAction,
  severityRank,
  skippedResult,
  type ExitCode,
  type Host,
  type HostEnd,
  type PhaseName,
  type StepOutcome,
} from '../core/index.js';
import type { EvidenceTarget } from '../evidence/index.js';
import type { Redactor } from '../journal/index.js';
import { runAttempt, toBecome, type AttemptResult, type Judge } from './attempt.js';
import type { Clock, EventInput, HostPhaseResult, OutputLimits, PlanStepFn } from './executor-types.js';
import type { AnalyzeFn, EvaluateFn, PlannedStep } from './planned-step.js';
import { decideInFlight } from './in-flight.js';
import { head } from './output.js';
import { registeredOf, type FinishedStep, type HostPosition } from './replay.js';
import { hostDir, stepFileBase } from './run-dir.js';
import type { HostSession } from './session.js';

export type { EventInput, HostPhaseResult } from './executor-types.js';

export interface HostRunContext<S> {
  host: Host;
  session: HostSession;
  /** Registered values of this host, across phases. */
  registered: Record<string, unknown>;
  planStep: PlanStepFn<S>;
  evaluate: EvaluateFn;
  analyze: AnalyzeFn;
  emit: (event: EventInput) => void;
  clock: Clock;
  signal: AbortSignal;
  /** True once the run stops scheduling (abort, max-fail): the host stops before its next step. */
  stopping: () => boolean;
  /** Stop the whole run (a full controller disk), killing what runs, with this exit code. */
  stop: (reason: string, kill: boolean, exitCode?: ExitCode) => void;
  limits: OutputLimits;
  redact: Redactor;
  runDir: string;
  runId: string;
  becomePassword?: string;
  /** The run's evidence store, opened on first use. */
  evidence: () => Promise<EvidenceTarget>;
  /** Evidence commands run at once on one host's connection. */
  evidenceChannels: number;
  /** Resumed run: where the journal says this host stood when the controller died. */
  position?: HostPosition;
  /**
   * Step records kept outside the journal (a worker's, in the bus's KV bucket): told before a step
   * starts and before its end is emitted, so a worker taking over knows what ran.
   */
  record?: StepRecorder;
}

/** A step's end as its record keeps it: finished (with what it registered) or skipped. */
export type RecordedStep = FinishedStep | { index: number; phase: PhaseName; name: string; skipped: string };

export interface StepRecorder {
  started(index: number, name: string): Promise<void>;
  ended(step: RecordedStep): Promise<void>;
}

/** A step of a phase with its 1-based index in the whole runbook. */
export interface IndexedStep<S> {
  step: S;
  index: number;
}

export async function runHostPhase<S>(
  ctx: HostRunContext<S>,
  phase: PhaseName,
  steps: readonly IndexedStep<S>[],
): Promise<HostPhaseResult> {
  const host = ctx.host.name;
  const pos = ctx.position;
  // Resumed: a host already in this phase before the crash is not started twice.
  if (!pos?.entered.includes(phase)) ctx.emit({ type: 'host.started', host, phase });
  const end = (state: HostPhaseResult): HostPhaseResult => {
    ctx.emit({ type: 'host.finished', host, phase, state });
    return state;
  };
  for (const { step, index } of steps) {
    if (ctx.stopping()) return end('aborted');
    const fallbackName = nameOf(step, index);
    let planned: PlannedStep;
    try {
      planned = await planAt(ctx, step, phase, index);
    } catch (err) {
      const message = `${host}: cannot plan step "${fallbackName}": ${err instanceof Error ? err.message : String(err)}`;
      const outcome: StepOutcome = { status: 'failed', durationMs: 0, message };
      await ctx.record?.ended({ index, phase, name: fallbackName, outcome, artifacts: [], findings: [] });
      ctx.emit({
        type: 'step.finished',
        host,
        phase,
        step: fallbackName,
        index,
        outcome,
      });
      ctx.emit({ type: 'host.failed', host, phase, step: fallbackName, message });
      return end('failed');
    }
    const name = planned.name;
    // Resumed: what the journal says happened is not done again; it is registered as it was.
    if (restoreRegistered(ctx, planned, index)) {
      if (!planned.endHost || !pos?.finished.has(index)) continue;
      // It ended the host before the crash (the crash may have come before `host.ended` was written).
      if (!pos.ended) emitEnded(ctx, phase, name, index, planned.endHost);
      return end('ok');
    }
    let resumed: string | undefined;
    if (pos?.inFlight?.index === index && planned.skip === undefined) {
      const decided = await resumeInFlight(ctx, phase, index, planned);
      if (decided === 'done') continue;
      if (typeof decided === 'string') return end(decided);
      resumed = decided.rerun;
    }
    if (planned.skip !== undefined) {
      if (planned.register) ctx.registered[planned.register] = skippedResult();
      await ctx.record?.ended({ index, phase, name, skipped: planned.skip });
      ctx.emit({ type: 'step.skipped', host, phase, step: name, index, reason: planned.skip });
      continue;
    }
    const verdict = await runStep(ctx, phase, name, index, planned, resumed);
    if (verdict !== 'ok') return end(verdict);
    if (planned.endHost) {
      emitEnded(ctx, phase, name, index, planned.endHost);
      return end('ok');
    }
  }
  return end('ok');
}

/** An `end_host` step ran: the host's run ends here, with the reason and the evidence behind it. */
function emitEnded<S>(ctx: HostRunContext<S>, phase: PhaseName, step: string, index: number, e: HostEnd): void {
  ctx.emit({ type: 'host.ended', host: ctx.host.name, phase, step, index, ...e });
}

async function runStep<S>(
  ctx: HostRunContext<S>,
  phase: PhaseName,
  name: string,
  index: number,
  planned: PlannedStep,
  /** Resumed: why this step, caught running by the crash, runs again. */
  resumed?: string,
): Promise<HostPhaseResult> {
  const host = ctx.host.name;
  await ctx.record?.started(index, name);
  ctx.emit({
    type: 'step.started',
    host,
    phase,
    step: name,
    index,
    commands: planned.actions.map(describeAction),
    ...(planned.type ? { stepType: planned.type } : {}),
  });
  const dir = hostDir(ctx.runDir, host);
  const fileBase = `${dir}/${stepFileBase(index, phase, name)}`;
  const tries = Math.max(0, Math.floor(planned.retries)) + 1;
  const judge: Judge = (condition, field, result) =>
    ctx.evaluate(condition, {
      host: ctx.host,
      registered: ctx.registered,
      result,
      ...(planned.register ? { register: planned.register } : {}),
      step: name,
      field,
    });
  let a: AttemptResult | undefined;
  for (let attempt = 1; attempt <= tries; attempt++) {
    a = await runAttempt(
      {
        session: ctx.session,
        planned,
        judge,
        clock: ctx.clock,
        signal: ctx.signal,
        limits: ctx.limits,
        redact: ctx.redact,
        runDir: ctx.runDir,
        hostDir: dir,
        fileBase,
        ...(ctx.becomePassword !== undefined ? { becomePassword: ctx.becomePassword } : {}),
        onLine: (stream, text) => ctx.emit({ type: 'step.output', host, phase, step: name, stream, text }),
        evidence: ctx.evidence,
        onArtifact: (artifact) => ctx.emit({ type: 'evidence.stored', host, phase, step: name, artifact }),
        onHostKeyReplaced: (change) => ctx.emit({ type: 'hostkey.replaced', host, phase, step: name, ...change }),
        phase,
        stepName: name,
        evidenceChannels: ctx.evidenceChannels,
        stopRun: (err) => ctx.stop(err.message, true, err.exitCode),
      },
      attempt,
    );
    if (ctx.signal.aborted) break;
    if (a.unreachable) {
      // A step that asked for retries also rides out a dropped connection (sshd restarting, a flaky
      // link): wait, reconnect on the next attempt. Without retries the host is unreachable at once.
      if (attempt === tries || ctx.stopping()) break;
      ctx.emit({
        type: 'step.retrying',
        host,
        phase,
        step: name,
        attempt,
        of: tries,
        delayMs: planned.delayMs,
        message: a.unreachable.message,
      });
      await ctx.clock.sleep(planned.delayMs, ctx.signal);
      continue;
    }
    let done: boolean;
    try {
      done =
        planned.until !== undefined ? !a.result.timedOut && judge(planned.until, 'until', a.result) : !a.result.failed;
    } catch (err) {
      // Like failed_when: a condition that cannot be evaluated fails the step (not the run); no retry.
      a.result.failed = true;
      a.result.changed = false;
      a.message = `${host}: ${err instanceof Error ? err.message : String(err)}`;
      break;
    }
    if (done) break;
    if (attempt === tries || ctx.stopping()) {
      if (planned.until !== undefined && !a.result.failed) {
        a.result.failed = true;
        a.result.changed = false;
        a.message = `${host}: "until" still false after ${attempt} attempt(s) (rc=${a.result.rc})`;
      }
      break;
    }
    ctx.emit({
      type: 'step.retrying',
      host,
      phase,
      step: name,
      attempt,
      of: tries,
      delayMs: planned.delayMs,
      message: a.message ?? 'until is false',
    });
    await ctx.clock.sleep(planned.delayMs, ctx.signal);
  }
  const r = a!;
  if (planned.analysis && !r.unreachable && r.outputs.length) analyze(ctx, phase, name, planned, r);
  const aborted = ctx.signal.aborted && r.result.failed;
  const status: StepOutcome['status'] = r.result.failed
    ? planned.ignoreErrors && !aborted && !r.unreachable
      ? 'ignored'
      : 'failed'
    : r.result.changed
      ? 'changed'
      : 'ok';
  if (planned.register) ctx.registered[planned.register] = r.result;
  const outcome: StepOutcome = {
    status,
    rc: r.result.rc,
    signal: r.result.signal,
    timedOut: r.result.timedOut,
    durationMs: r.result.duration_ms,
    attempts: r.result.attempts,
    ...(r.result.stdout ? { stdout: head(r.result.stdout, ctx.limits.headChars) } : {}),
    ...(r.result.stderr ? { stderr: head(r.result.stderr, ctx.limits.headChars) } : {}),
    ...(r.stdoutFile ? { stdoutFile: r.stdoutFile } : {}),
    ...(r.stderrFile ? { stderrFile: r.stderrFile } : {}),
    ...(r.outputCapped ? { outputCapped: r.outputCapped } : {}),
    ...(r.result.failed && r.message ? { message: r.message } : {}),
    ...(r.unreachable ? { unreachable: true } : {}),
    ...(resumed ? { resumed } : {}),
  };
  await ctx.record?.ended({
    index,
    phase,
    name,
    outcome,
    artifacts: r.result.artifacts ?? [],
    findings: r.result.findings ?? [],
  });
  ctx.emit({ type: 'step.finished', host, phase, step: name, index, outcome });
  if (r.unreachable) {
    ctx.emit({
      type: 'host.unreachable',
      host,
      phase,
      step: name,
      reason: r.unreachable.reason,
      message: r.unreachable.message,
    });
    return 'unreachable';
  }
  if (aborted) return 'aborted';
  if (status === 'failed') {
    ctx.emit({ type: 'host.failed', host, phase, step: name, message: r.message ?? `${host}: step failed` });
    return 'failed';
  }
  return 'ok';
}

/** Run the step's parsers over its evidence; a parser that throws is a failed step, never a lost run. */
function analyze<S>(
  ctx: HostRunContext<S>,
  phase: PhaseName,
  step: string,
  planned: PlannedStep,
  r: AttemptResult,
): void {
  try {
    const findings = ctx.analyze(planned, r.outputs, ctx.host);
    r.result.findings = findings;
    for (const finding of findings)
      ctx.emit({ type: 'finding', host: ctx.host.name, phase, step, finding: { ...finding, step } });
    const bar = planned.failOnFindings;
    const bad = bar ? findings.filter((f) => severityRank(f.severity) >= severityRank(bar)) : [];
    if (bad.length && !r.result.failed) {
      r.result.failed = true;
      r.result.changed = false;
      r.message = `${ctx.host.name}: ${bad.length} finding(s) of severity ${bar} or worse: ${bad
        .slice(0, 3)
        .map((f) => f.summary)
        .join('; ')}`;
    }
  } catch (err) {
    r.result.failed = true;
    r.message = `${ctx.host.name}: analysing the collected evidence failed (the evidence is stored): ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Plan a step for this host at its place in the run, with what the host registered so far. */
function planAt<S>(
  ctx: HostRunContext<S>,
  step: S,
  phase: PhaseName,
  index: number,
): Promise<PlannedStep> | PlannedStep {
  return ctx.planStep(step, { host: ctx.host, runId: ctx.runId, phase, index, registered: ctx.registered });
}

/**
 * Resumed: a step the journal says finished (or was skipped) is not run again; what it registered is
 * registered again, as it was. Returns false for a step still to run.
 */
function restoreRegistered<S>(ctx: HostRunContext<S>, planned: PlannedStep, index: number): boolean {
  const pos = ctx.position;
  const before = pos?.finished.get(index);
  if (!before && !pos?.skipped.has(index)) return false;
  if (planned.register) ctx.registered[planned.register] = before ? registeredOf(before) : skippedResult();
  return true;
}

/**
 * Resumed: a host that ended this phase before the crash runs none of it, but later phases read what
 * its steps registered (restore reads the backup): plan its steps again, quietly, to register them.
 */
export async function replayPhase<S>(
  ctx: HostRunContext<S>,
  phase: PhaseName,
  steps: readonly IndexedStep<S>[],
): Promise<void> {
  for (const { step, index } of steps) {
    let planned: PlannedStep;
    try {
      planned = await planAt(ctx, step, phase, index);
    } catch {
      return; // it failed to plan then too: the host's phase ended there
    }
    if (!restoreRegistered(ctx, planned, index)) return;
  }
}

/**
 * The step the crash caught running on this host: run again, recorded as done (what verify saw), or
 * the host stops with the reason. See in-flight.ts.
 */
async function resumeInFlight<S>(
  ctx: HostRunContext<S>,
  phase: PhaseName,
  index: number,
  planned: PlannedStep,
): Promise<{ rerun: string } | 'done' | HostPhaseResult> {
  const host = ctx.host.name;
  const start = ctx.clock.now();
  const become = planned.become ? toBecome(planned.become, ctx.becomePassword) : undefined;
  const d = await decideInFlight(planned, ctx.session, become, ctx.signal, ctx.clock);
  if (d.kind === 'rerun') return { rerun: d.why };
  const durationMs = ctx.clock.now() - start;
  if (d.kind === 'done') {
    const result = { ...skippedResult(), rc: 0, stdout: d.output, skipped: false, changed: planned.changes };
    if (planned.register) ctx.registered[planned.register] = result;
    const outcome: StepOutcome = { status: planned.changes ? 'changed' : 'ok', durationMs, resumed: d.why };
    await ctx.record?.ended({ index, phase, name: planned.name, outcome, artifacts: [], findings: [] });
    ctx.emit({ type: 'step.finished', host, phase, step: planned.name, index, outcome });
    return 'done';
  }
  const message = `${host}: step ${index} "${planned.name}" was running when ${ctx.record ? 'its worker died' : 'the controller died'}; ${d.why}`;
  const outcome: StepOutcome = { status: 'failed', durationMs, message, resumed: d.why };
  await ctx.record?.ended({ index, phase, name: planned.name, outcome, artifacts: [], findings: [] });
  ctx.emit({ type: 'step.finished', host, phase, step: planned.name, index, outcome });
  ctx.emit({ type: 'host.failed', host, phase, step: planned.name, message });
  return 'failed';
}

function nameOf(step: unknown, index: number): string {
  const n = typeof step === 'object' && step !== null ? (step as { name?: unknown }).name : undefined;
  return typeof n === 'string' && n ? n : `step ${index}`;
}
