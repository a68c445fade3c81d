/**
 * The run-time half of a plan. A planned step carries its `failed_when` / `until` as source and its
 * analysis as params (planned-step.ts); these functions give them meaning — the runbook's templates,
 * the step type's parsers — and run-runbook injects them into the executor, which imports neither.
 */
import { evalCondition, templateContext } from '../runbook/index.js';
import { getStepType } from '../steps/index.js';
import type { AnalyzeFn, EvaluateFn } from './planned-step.js';

/**
 * A run's condition evaluator. A condition sees what `when` sees (host vars, params, registered
 * values, groups) plus `result`, also under the step's register name.
 */
export function conditionEvaluator(params: Record<string, unknown>, groups?: Record<string, string[]>): EvaluateFn {
  return (condition, s) => {
    const context = {
      ...templateContext({ host: s.host, params, registered: s.registered, groups }),
      result: s.result,
      ...(s.register ? { [s.register]: s.result } : {}),
    };
    return evalCondition(condition, context, { step: s.step, field: s.field });
  };
}

/** The step type's parsers over a planned step's evidence outputs, with the params it was planned with. */
export const analyzeWithStepType: AnalyzeFn = (planned, outputs, host) => {
  const type = getStepType(planned.type);
  if (!type?.analyze || !planned.analysis)
    throw new Error(`step type "${planned.type}" has no analysis to run (this is a bug)`);
  return type.analyze(planned.analysis.params, outputs, { host: host.name });
};
