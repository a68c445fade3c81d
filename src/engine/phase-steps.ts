/**
 * A runbook's phases in run order with their steps numbered across the whole runbook (1-based):
 * the numbering journals, step records and work units share, so the controller, `resume` and a
 * worker agree on which step is which.
 */
import { PHASES, type PhaseName } from '../core/index.js';
import type { PhaseSpec, RunbookSpec } from './executor-types.js';
import type { IndexedStep } from './host-runner.js';

export interface NumberedPhase<S> {
  phase: PhaseName;
  spec: PhaseSpec<S>;
  steps: IndexedStep<S>[];
}

export function numberedPhases<S>(runbook: RunbookSpec<S>): NumberedPhase<S>[] {
  let index = 0;
  return PHASES.filter((p) => (runbook.phases[p]?.steps.length ?? 0) > 0).map((phase) => {
    const spec = runbook.phases[phase]!;
    return { phase, spec, steps: spec.steps.map((step) => ({ step, index: ++index })) };
  });
}
