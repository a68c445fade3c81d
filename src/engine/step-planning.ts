/**
 * How a run plans its steps, from what it was started with: the planner with the run's params,
 * groups and tags, the runbook's templates for conditions, the step types' parsers for evidence.
 * The controller (run-runbook) and a worker on the bus wire the executor's functions the same way.
 */
import { randomBytes } from 'node:crypto';
import type { Step } from '../runbook/index.js';
import type { RunOptions } from './executor-types.js';
import { analyzeWithStepType, conditionEvaluator } from './plan-eval.js';
import { planStep, remoteTmpPath, type TagFilter } from './planner.js';

export interface PlanningInputs {
  params: Record<string, unknown>;
  groups?: Record<string, string[]>;
  tags?: TagFilter;
  /** Relative `script`/`upload` paths resolve against it. */
  runbookDir: string;
}

export type StepPlanning = Pick<RunOptions<Step>, 'planStep' | 'evaluate' | 'analyze'>;

export function stepPlanning(o: PlanningInputs): StepPlanning {
  // A random nonce per host keeps remote temp paths unguessable and distinct across concurrent runs,
  // and across hosts of one run that share a filesystem (an NFS /tmp, two inventory names for one
  // machine, the loopback test fleet): with one nonce per run, one host's cleanup removed another's script.
  const nonces = new Map<string, string>();
  const nonceFor = (host: string): string => {
    let n = nonces.get(host);
    if (n === undefined) nonces.set(host, (n = randomBytes(6).toString('hex')));
    return n;
  };
  return {
    evaluate: conditionEvaluator(o.params, o.groups),
    analyze: analyzeWithStepType,
    planStep: (step, ctx) =>
      planStep(step, {
        host: ctx.host,
        params: o.params,
        registered: { ...ctx.registered },
        runbookDir: o.runbookDir,
        remoteTmp: remoteTmpPath(ctx.runId, ctx.phase, ctx.index, nonceFor(ctx.host.name)),
        ...(o.groups ? { groups: o.groups } : {}),
        ...(o.tags ? { tags: o.tags } : {}),
      }),
  };
}
