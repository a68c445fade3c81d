/**
 * The `firebreak` package entry: type your TypeScript runbooks with `defineRunbook`, and reach the
 * runbook schema and public types.
 *
 * ```ts
 * import { defineRunbook } from 'firebreak';
 * export default defineRunbook({ name: 'triage', phases: { collect: [{ shell: 'hostname' }] } });
 * ```
 */
export { defineRunbook, runbookSchema, runbookJsonSchema } from './runbook/schema.js';
export type { Runbook, RunbookInput, Phase, Step, StepInput, ParamSpec, ParamType } from './runbook/schema.js';
export type { RegisteredResult } from './runbook/context.js';
export { defineStepType } from './steps/define.js';
export type { StepType, PlanContext } from './steps/types.js';
export type { Action, Host, PhaseName, ValidationIssue } from './core/index.js';
export { PHASES, quote } from './core/index.js';
