/**
 * The runbook schema: one zod schema, built from the step registry, for YAML runbooks, TypeScript
 * runbooks (`defineRunbook`) and the JSON Schema that `firebreak schema` prints.
 * A step is a union with one branch per step type: the common keys plus exactly one type key.
 */
import { z } from 'zod';
import { PHASES } from '../core/index.js';
import { STEP_TYPES, durationSchema, type NamedStepType } from '../steps/index.js';
import { allowTemplatesInStepParams } from './json-schema-templates.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names the template context already uses; a `register` may not shadow them. */
export const RESERVED_NAMES = ['params', 'inventory_hostname', 'groups', 'group_names', 'result', 'hostvars'] as const;

const condition = z.union([z.string().min(1), z.boolean()]);

/** Keys every step may have besides its one step type key. */
export const stepCommonShape = {
  name: z.string().min(1).optional().describe('Shown in progress, the journal and the report'),
  when: condition
    .optional()
    .describe('Run only when this template/expression is truthy (false: "", false, 0, no, null)'),
  timeout: durationSchema.optional().describe('Kill the step after this long (default 10m)'),
  retries: z
    .number()
    .int()
    .min(0)
    .max(100)
    .optional()
    .describe('Retry a failed step this many times (default 0; 3 with until)'),
  delay: durationSchema.optional().describe('Pause between retries (default 5s)'),
  until: z.string().min(1).optional().describe('Retry until this condition on `result` is truthy'),
  register: z
    .string()
    .regex(IDENT, 'register must be an identifier like web_status')
    .refine((s) => !(RESERVED_NAMES as readonly string[]).includes(s), 'this name is reserved in templates')
    .optional()
    .describe('Save the result for later templates: {{name.stdout}}, {{name.rc}}...'),
  ignore_errors: z.boolean().optional().describe('Carry on when this step fails'),
  failed_when: condition.optional().describe('Decide failure from `result` (replaces the exit-code rule)'),
  become: z
    .union([z.boolean(), z.string().min(1)])
    .optional()
    .describe('Run via sudo: true (root) or a user name'),
  tags: z.array(z.string().min(1)).optional().describe('Select with --tags / --skip-tags'),
  idempotent: z
    .boolean()
    .optional()
    .describe(
      'Running this step twice does no harm: `firebreak resume` may run it again when a crash caught it running (shell and script steps are otherwise stopped, never guessed about)',
    ),
};
type CommonShape = typeof stepCommonShape;

/** The schema branch of one step type. */
type BranchOf<T> =
  T extends NamedStepType<infer K, infer S> ? z.ZodObject<CommonShape & { [P in K]: S }, z.core.$strict> : never;
type Branches = { -readonly [I in keyof typeof STEP_TYPES]: BranchOf<(typeof STEP_TYPES)[I]> };

function branch(t: NamedStepType<string, z.ZodType>) {
  return z
    .strictObject({ ...stepCommonShape, [t.type]: t.schema })
    .meta({ title: `${t.type} step`, description: t.description });
}

/** One step: common keys plus exactly one step type key. */
export const stepSchema = z.union(STEP_TYPES.map((t) => branch(t)) as unknown as Branches).meta({ id: 'step' });

const percent = z.string().regex(/^\d+(\.\d+)?%$/, 'expected a number or a percentage like "30%"');
const batch = z.union([z.number().int().positive(), percent]);

const phaseObject = z.strictObject({
  steps: z.array(stepSchema).min(1).describe('Steps, run in order on each host'),
  serial: z
    .union([batch, z.array(batch).min(1)])
    .optional()
    .describe('Batch size: a number, "30%", or a list like [1, 5, "25%"]'),
  max_fail_percentage: z
    .number()
    .min(0)
    .max(100)
    .optional()
    .describe('Stop the run when more than this % of a batch failed'),
  confirm: z
    .union([z.boolean(), z.string().min(1)])
    .optional()
    .describe('Ask before the phase (true or the question)'),
});

/** A phase: `{steps, serial, ...}`, or just a list of steps. */
export const phaseSchema = z
  .union([
    z
      .array(stepSchema)
      .min(1)
      .transform((steps) => ({ steps })),
    phaseObject,
  ])
  .transform((p) => p as z.output<typeof phaseObject>);

export const PARAM_TYPES = ['string', 'number', 'boolean', 'list', 'map'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

/** Does `value` have the declared param type? */
export function hasParamType(value: unknown, type: ParamType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'list':
      return Array.isArray(value);
    case 'map':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
  }
}

export const paramSpecSchema = z
  .strictObject({
    type: z.enum(PARAM_TYPES).default('string').describe('string | number | boolean | list | map'),
    default: z.unknown().optional().describe('Used when neither -e nor --params sets it'),
    description: z.string().optional(),
    required: z.boolean().optional().describe('Must be given (on the command line or by default)'),
  })
  .superRefine((p, ctx) => {
    if (p.default !== undefined && !hasParamType(p.default, p.type)) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: `default does not match type ${p.type}` });
    }
  });

const phasesShape = Object.fromEntries(PHASES.map((p) => [p, phaseSchema.optional()])) as {
  [P in (typeof PHASES)[number]]: z.ZodOptional<typeof phaseSchema>;
};

export const runbookSchema = z
  .strictObject({
    name: z.string().min(1).describe('Runbook name (used in the run directory name)'),
    description: z.string().optional(),
    severity: z.enum(['low', 'medium', 'high', 'critical']).optional(),
    tags: z.array(z.string().min(1)).optional(),
    params: z
      .record(z.string().regex(IDENT, 'param names must be identifiers'), paramSpecSchema)
      .optional()
      .describe('Typed parameters: {{params.name}} in templates'),
    phases: z.strictObject(phasesShape).describe('Run in order: isolate, collect, rebuild, restore'),
  })
  .superRefine((rb, ctx) => {
    if (!PHASES.some((p) => rb.phases[p]))
      ctx.addIssue({
        code: 'custom',
        path: ['phases'],
        message: `a runbook needs at least one phase (${PHASES.join(', ')})`,
      });
  });

/** A runbook as written (YAML or TypeScript): shorthands allowed, durations as strings. */
export type RunbookInput = z.input<typeof runbookSchema>;
/** A validated runbook: shorthands expanded, durations in milliseconds. */
export type Runbook = z.output<typeof runbookSchema>;
export type Phase = z.output<typeof phaseObject>;
export type Step = z.output<typeof stepSchema>;
export type StepInput = z.input<typeof stepSchema>;
export type ParamSpec = z.output<typeof paramSpecSchema>;

/**
 * Type a TypeScript runbook: an identity function whose argument is checked against the schema's
 * input type, so editors complete step types and their params.
 */
export function defineRunbook<const T extends RunbookInput>(runbook: T): T {
  return runbook;
}

/** The JSON Schema of a runbook (input side), for editor completion and `firebreak schema`. */
export function runbookJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(runbookSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...allowTemplatesInStepParams(
      schema,
      STEP_TYPES.map((t) => t.type),
    ),
    title: 'firebreak runbook',
  };
}
