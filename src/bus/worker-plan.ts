/**
 * A worker's copy of a run's plan, built from what the controller put in the runs bucket (the same
 * inputs `run.inputs` journals): the runbook as loaded, validated again here, its phases numbered as
 * the controller numbers them, and the step planning wired as the controller wires it.
 */
import type { KV } from '@nats-io/kv';
import { firebreakVersion, type PhaseName } from '../core/index.js';
import type { RunbookSpec } from '../engine/executor-types.js';
import type { IndexedStep } from '../engine/host-runner.js';
import { numberedPhases } from '../engine/phase-steps.js';
import { selectPhases } from '../engine/planner.js';
import { runInputsSchema, type RunInputs } from '../engine/run-inputs.js';
import { stepPlanning, type StepPlanning } from '../engine/step-planning.js';
import { validateRunbook, type Step } from '../runbook/index.js';
import { runKey } from './names.js';

export interface WorkerPlan {
  runId: string;
  inputs: RunInputs;
  planning: StepPlanning;
  steps: Map<PhaseName, IndexedStep<Step>[]>;
}

/** Read and check a run's inputs; throws with the reason a worker cannot run it. */
export async function loadWorkerPlan(runs: KV, runId: string): Promise<WorkerPlan> {
  const entry = await runs.get(runKey(runId));
  if (!entry || entry.operation !== 'PUT') throw new Error(`run ${runId} has no inputs on the bus`);
  const parsed = runInputsSchema.safeParse(entry.json());
  if (!parsed.success) throw new Error(`run ${runId}: its inputs are of another firebreak (${parsed.error.message})`);
  const inputs = parsed.data;
  if (inputs.firebreakVersion !== firebreakVersion())
    throw new Error(
      `run ${runId} was started by firebreak ${inputs.firebreakVersion}, this worker is ${firebreakVersion()}: run the same version on both`,
    );
  const { runbook, issues } = validateRunbook(inputs.runbook.loaded);
  if (!runbook) throw new Error(`run ${runId}: its runbook does not validate here: ${issues[0]?.message ?? 'invalid'}`);
  const o = inputs.options;
  const phases: RunbookSpec<Step>['phases'] = {};
  for (const { name, phase } of selectPhases(runbook, o.phases as PhaseName[] | undefined)) phases[name] = phase;
  const steps = new Map(numberedPhases<Step>({ name: runbook.name, phases }).map((p) => [p.phase, p.steps]));
  const tags = { ...(o.tags ? { tags: o.tags } : {}), ...(o.skipTags ? { skipTags: o.skipTags } : {}) };
  return {
    runId,
    inputs,
    steps,
    planning: stepPlanning({
      params: inputs.params,
      runbookDir: inputs.runbook.dir,
      ...(inputs.groups ? { groups: inputs.groups } : {}),
      ...(o.tags || o.skipTags ? { tags } : {}),
    }),
  };
}
