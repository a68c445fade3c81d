/**
 * Pure planning: a runbook step × a host -> the exact actions, with templates rendered, `when`
 * decided, and the step's knobs (timeout, retries, failed_when...) resolved: a PlannedStep, plain
 * data. The executor calls `planStep` for each step on each host just before running it (so
 * registered values are real); `firebreak plan` calls `planRun`, which renders every step for every
 * host without connecting, showing values registered at run time as `<registered:name.field>`.
 */
import type { z } from 'zod';
import { PHASES, type Action, type Host, type PhaseName } from '../core/index.js';
import { getStepType, isShellField, type PlanContext, type StepType } from '../steps/index.js';
import { WAIT_DEFAULT_TIMEOUT_MS } from '../steps/wait_for.js';
import { flatten } from '../runbook/issues.js';
import { getAt, leafIssues, setAt } from '../runbook/leaves.js';
import {
  TemplateError,
  isTemplate,
  evalCondition,
  formatPath,
  registeredPlaceholders,
  renderDeep,
  templateContext,
  type Phase,
  type Runbook,
  type Step,
} from '../runbook/index.js';
import type { PlannedStep } from './planned-step.js';

/** Default step timeout: 10 minutes. */
export const DEFAULT_TIMEOUT_MS = 600_000;
/** Default pause between retries: 5 seconds. */
export const DEFAULT_DELAY_MS = 5_000;

/** `--tags` / `--skip-tags`. A step tagged `always` runs unless its tag is skipped explicitly. */
export interface TagFilter {
  tags?: readonly string[];
  skipTags?: readonly string[];
}

/** Everything planStep needs about one host at one point of the run. */
export interface StepContext extends PlanContext {
  /** Group name -> host names, for `{{groups.web}}` (optional). */
  groups?: Record<string, string[]>;
  tags?: TagFilter;
}

/** The step type key of a step and its params. */
export function stepTypeOf(step: Step): { type: StepType; params: unknown } {
  for (const [k, v] of Object.entries(step)) {
    const type = getStepType(k);
    if (type) return { type, params: v };
  }
  throw new Error('step without a step type (the schema should have refused it)');
}

/** The name shown for a step: its `name`, else `type: first words of its command or src`. */
export function stepLabel(step: Step): string {
  if (step.name) return step.name;
  const { type, params } = stepTypeOf(step);
  const p = params as Record<string, unknown>;
  const detail = String(
    p.cmd ?? p.command ?? p.src ?? (p.port !== undefined ? `port ${String(p.port)}` : p.connection ? 'connection' : ''),
  );
  const short = detail.split('\n')[0] ?? '';
  return `${type.type}${short ? `: ${short.length > 60 ? `${short.slice(0, 57)}...` : short}` : ''}`;
}

/** Is the step selected by --tags / --skip-tags? Returns the reason when it is not. */
export function tagSkipReason(step: Step, filter: TagFilter = {}): string | undefined {
  const tags = step.tags ?? [];
  const skipped = tags.find((t) => filter.skipTags?.includes(t));
  if (skipped) return `skipped by --skip-tags ${skipped}`;
  if (filter.tags?.length && !tags.includes('always') && !tags.some((t) => filter.tags?.includes(t))) {
    return `not selected by --tags ${filter.tags.join(',')}`;
  }
  return undefined;
}

/** The phases of a runbook that have steps, in run order, optionally limited to `only`. */
export function selectPhases(runbook: Runbook, only?: readonly PhaseName[]): Array<{ name: PhaseName; phase: Phase }> {
  return PHASES.filter((p) => runbook.phases[p] && (!only || only.includes(p))).map((name) => ({
    name,
    phase: runbook.phases[name] as Phase,
  }));
}

/** What a plan shows in remote temp paths for the parts only a run can choose. */
export const PLAN_RUN_ID = 'RUNID';
export const PLAN_NONCE = 'RANDOM';

/** A safe, unguessable remote temp path for one step (the nonce must be random: /tmp is shared). */
export function remoteTmpPath(runId: string, phase: PhaseName, index: number, nonce: string): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
  return `/tmp/.firebreak-${safe(runId)}-${safe(nonce)}-${phase}-${index}`;
}

function defaultTimeout(type: StepType, params: Record<string, unknown>): number {
  // A wait_for loop must be allowed to reach its own timeout before the step timeout kills it.
  // Before rendering, a templated timeout is still text: the rendered, parsed params give the real one.
  const own = typeof params.timeout === 'number' ? params.timeout : WAIT_DEFAULT_TIMEOUT_MS;
  if (type.type === 'wait_for') return Math.max(DEFAULT_TIMEOUT_MS, own + 30_000);
  return DEFAULT_TIMEOUT_MS;
}

/**
 * Plan one step for one host. Throws TemplateError (undefined variable, rendered params invalid).
 * `registered` in ctx holds the real values of earlier steps (or placeholders at plan time).
 */
export function planStep(step: Step, ctx: StepContext): PlannedStep {
  const { type, params } = stepTypeOf(step);
  const name = stepLabel(step);
  const base = {
    name,
    type: type.type,
    timeoutMs: step.timeout ?? defaultTimeout(type, params as Record<string, unknown>),
    retries: step.retries ?? (step.until ? 3 : 0),
    delayMs: step.delay ?? DEFAULT_DELAY_MS,
    ignoreErrors: step.ignore_errors ?? false,
    changes: type.changes,
    ...(step.register ? { register: step.register } : {}),
    ...(step.become ? { become: step.become === true ? 'root' : step.become } : {}),
  };
  const tagReason = tagSkipReason(step, ctx.tags);
  if (tagReason) return { ...base, skip: tagReason, actions: [] };

  const context = templateContext({
    host: ctx.host,
    params: ctx.params,
    registered: ctx.registered,
    ...(ctx.groups ? { groups: ctx.groups } : {}),
  });
  if (step.when !== undefined && !evalCondition(step.when, context, { step: name, field: 'when' })) {
    return { ...base, skip: `when is false: ${String(step.when)}`, actions: [] };
  }

  const raw = params as Record<string, unknown>;
  const rendered: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    rendered[k] = renderDeep(v, context, (path) => (isShellField(type.shellFields, [k, ...path]) ? 'shell' : 'text'), {
      step: name,
      field: `${type.type}.${k}`,
    });
  }
  // A template in a number or boolean field renders to text: "30" becomes 30 where the schema wants so.
  let parsed = type.schema.safeParse(rendered);
  let checked: unknown = rendered;
  if (!parsed.success) {
    const coerced = coerceRendered(rendered, raw, parsed.error.issues);
    if (coerced) {
      parsed = type.schema.safeParse(coerced);
      checked = coerced;
    }
  }
  if (!parsed.success) {
    // Issues as at load time: a union step type (collect) names the field of the branch meant, not "Invalid input".
    const why = flatten(parsed.error.issues, [], checked, new Set())
      .map((i) => `${formatPath([type.type, ...i.path])}: ${i.message}`)
      .join('; ');
    throw new TemplateError(`params invalid after templating: ${why}`, { step: name });
  }
  let actions = type.plan(parsed.data, ctx);
  if (base.become)
    actions = actions.map((a) => (a.kind === 'exec' || a.kind === 'evidence' ? { ...a, become: true } : a));

  // Conditions and the analysis stay data (the source, the params): the executor evaluates them through
  // what it is given (RunOptions.evaluate / analyze), so the plan can be journaled or shipped elsewhere.
  return {
    ...base,
    timeoutMs: step.timeout ?? defaultTimeout(type, parsed.data as Record<string, unknown>),
    actions,
    ...(type.analyze ? { analysis: { params: parsed.data } } : {}),
    ...(type.failOnFindings ? { failOnFindings: type.failOnFindings } : {}),
    ...(step.failed_when !== undefined ? { failedWhen: step.failed_when } : {}),
    ...(step.until !== undefined ? { until: step.until } : {}),
    ...(type.rerunSafe || step.idempotent ? { rerunSafe: true } : {}),
    ...(type.verify ? { verify: type.verify(parsed.data, ctx) } : {}),
    ...(type.ends ? { endHost: type.ends(parsed.data, ctx) } : {}),
  };
}

/** A planned step as plain data (for `firebreak plan` and `--json`). */
export interface PlannedStepView {
  index: number;
  name: string;
  type: string;
  skip?: string;
  /** `when` reads registered values: decided at run time. */
  whenAtRunTime?: boolean;
  /** The step could not be planned (e.g. an undefined variable): the message. */
  error?: string;
  actions: Action[];
  become?: string;
  timeoutMs: number;
  retries: number;
  register?: string;
  /** An `end_host` step: the reason it gives (its evidence is only known at run time). */
  endHost?: string;
}

export interface HostPlan {
  host: string;
  phases: Array<{ phase: PhaseName; steps: PlannedStepView[] }>;
}

export interface RunPlan {
  runbook: string;
  params: Record<string, unknown>;
  hosts: HostPlan[];
  /** Number of steps that could not be planned on some host. */
  errors: number;
}

export interface PlanRunOptions {
  runbookDir: string;
  runId?: string;
  groups?: Record<string, string[]>;
  tags?: TagFilter;
  phases?: readonly PhaseName[];
}

function planHost(runbook: Runbook, host: Host, params: Record<string, unknown>, opts: PlanRunOptions): HostPlan {
  const registeredNames: string[] = [];
  const phases: HostPlan['phases'] = [];
  let runIndex = 0; // as the executor numbers steps: 1-based across the selected phases
  for (const { name: phase, phase: spec } of selectPhases(runbook, opts.phases)) {
    const steps = spec.steps.map((step, index): PlannedStepView => {
      const placeholders = registeredPlaceholders(registeredNames);
      const ctx: StepContext = {
        host,
        params,
        registered: placeholders.values,
        runbookDir: opts.runbookDir,
        remoteTmp: remoteTmpPath(opts.runId ?? PLAN_RUN_ID, phase, ++runIndex, PLAN_NONCE),
        ...(opts.groups ? { groups: opts.groups } : {}),
        ...(opts.tags ? { tags: opts.tags } : {}),
      };
      if (step.register) registeredNames.push(step.register);
      const view = {
        index,
        name: stepLabel(step),
        type: stepTypeOf(step).type.type,
        timeoutMs: 0,
        retries: 0,
        actions: [] as Action[],
      };
      try {
        const whenReadsRegistered = step.when !== undefined && readsRegistered(step, ctx, placeholders);
        const p = planStep(whenReadsRegistered ? { ...step, when: true } : step, ctx);
        return {
          ...view,
          name: p.name,
          actions: p.actions,
          timeoutMs: p.timeoutMs,
          retries: p.retries,
          ...(p.skip ? { skip: p.skip } : {}),
          ...(whenReadsRegistered ? { whenAtRunTime: true } : {}),
          ...(p.become ? { become: p.become } : {}),
          ...(p.register ? { register: p.register } : {}),
          ...(p.endHost ? { endHost: p.endHost.reason } : {}),
        };
      } catch (e) {
        return { ...view, error: (e as Error).message };
      }
    });
    phases.push({ phase, steps });
  }
  return { host: host.name, phases };
}

function readsRegistered(step: Step, ctx: StepContext, ph: ReturnType<typeof registeredPlaceholders>): boolean {
  ph.reset();
  const context = templateContext({
    host: ctx.host,
    params: ctx.params,
    registered: ctx.registered,
    ...(ctx.groups ? { groups: ctx.groups } : {}),
  });
  try {
    evalCondition(step.when as string | boolean, context);
  } catch {
    return false; // planStep reports the error
  }
  return ph.touched();
}

/** Plan every step of every selected phase for every host, without connecting. Pure. */
export function planRun(
  runbook: Runbook,
  hosts: readonly Host[],
  params: Record<string, unknown>,
  opts: PlanRunOptions,
): RunPlan {
  const planned = hosts.map((h) => planHost(runbook, h, params, opts));
  const errors = planned.reduce(
    (n, h) => n + h.phases.reduce((m, p) => m + p.steps.filter((s) => s.error).length, 0),
    0,
  );
  return { runbook: runbook.name, params, hosts: planned, errors };
}

/** Rendered text read as the YAML number or boolean it spells, if it spells one. */
function scalarOf(text: string): number | boolean | undefined {
  const t = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return t === 'true' ? true : t === 'false' ? false : undefined;
}

/**
 * Where a template rendered to text that the schema refused for not being a number or boolean (or not
 * one of its literals: `connection: true`), and the text spells one ("30", "true"), use that. Only
 * there: a string field keeps "0644" as text. Returns undefined when nothing changes.
 */
function coerceRendered(
  rendered: Record<string, unknown>,
  raw: unknown,
  issues: readonly z.core.$ZodIssue[],
): Record<string, unknown> | undefined {
  const out = structuredClone(rendered);
  let changed = false;
  for (const { path, issue } of leafIssues(issues)) {
    if (!isTemplate(getAt(raw, path))) continue;
    const value = scalarOf(String(getAt(rendered, path)));
    const wanted =
      issue.code === 'invalid_type'
        ? typeof value === 'number'
          ? issue.expected === 'number' || issue.expected === 'int'
          : typeof value === 'boolean' && issue.expected === 'boolean'
        : issue.code === 'invalid_value' && issue.values.includes(value as z.core.util.Primitive);
    if (value === undefined || !wanted) continue;
    setAt(out, path, value);
    changed = true;
  }
  return changed ? out : undefined;
}
