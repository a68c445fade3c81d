/**
 * A run on fake hosts (executor-fakes.ts) with the real planner, condition evaluator and analyzer:
 * the wiring run-runbook.ts does, without ssh.
 */
import { startRun } from '../../src/engine/executor.js';
import type { RunbookSpec, RunSummary } from '../../src/engine/executor-types.js';
import { analyzeWithStepType, conditionEvaluator } from '../../src/engine/plan-eval.js';
import type { PlannedStep } from '../../src/engine/planned-step.js';
import { planStep, remoteTmpPath } from '../../src/engine/planner.js';
import type { Step } from '../../src/runbook/index.js';
import { Recorder, fakeClock, hosts, type FakeFleet } from './executor-fakes.js';

export interface PlannedRun {
  runbook: RunbookSpec<Step>;
  fleet: FakeFleet;
  hosts: string[];
  /** Runs directory; also the runbook directory (for script and upload sources). */
  dir: string;
  /** Applied to each planned step before the executor gets it. */
  through?: (p: PlannedStep) => PlannedStep;
}

export async function runPlanned(o: PlannedRun): Promise<{ summary: RunSummary; rec: Recorder; runDir: string }> {
  const rec = new Recorder();
  const through = o.through ?? ((p) => p);
  const handle = startRun<Step>({
    runbook: o.runbook,
    hosts: hosts(...o.hosts),
    planStep: (step, c) =>
      through(
        planStep(step, {
          host: c.host,
          params: {},
          registered: { ...c.registered },
          runbookDir: o.dir,
          // A fixed nonce: two runs of one runbook plan the same commands.
          remoteTmp: remoteTmpPath(c.runId, c.phase, c.index, 'n0nce'),
        }),
      ),
    evaluate: conditionEvaluator({}),
    analyze: analyzeWithStepType,
    transportFor: o.fleet.factory,
    runsDir: o.dir,
    clock: fakeClock(),
    fsync: false,
    sinks: [rec],
  });
  return { summary: await handle.done, rec, runDir: handle.runDir };
}
