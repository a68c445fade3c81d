/**
 * A whole drill: lab up with the seeded assignment, ground truth checked, hypothesis before, faults,
 * the run, faults healed, hypothesis after, scoring, `scorecard.json`, lab down — always, also when a
 * stage fails or the drill is interrupted, unless the lab is to be kept.
 */
import { join } from 'node:path';
import { AbortError, ExitCode, type EventSink } from '../core/index.js';
import { createRunDir, writeJsonAtomic } from '../engine/run-dir.js';
import { labDown, labUp, plantScenarios, readLabState, type LabState } from '../lab/index.js';
import { writeLabFiles } from '../lab/lab-write.js';
import { loadRunbook, resolveParams, type LoadedRunbook, type ParamOverride } from '../runbook/index.js';
import { assignScenarios, compromisedScenarios, planFaults } from './assign.js';
import { FaultInjector } from './faults.js';
import type { LoadedDrill } from './load.js';
import { checkHypothesis, DEFAULT_WINDOW_SECONDS, effectiveHypothesis, type ProbeContext } from './probes.js';
import { freshSeed, type Seed } from './random.js';
import { EventRecorder, IsolationWatcher, runOnLab, type DrillRun } from './run-stage.js';
import { writeReportFiles } from '../report/index.js';
import { SCORECARD_FILE, SCORECARD_VERSION, type EgressSample, type ProbeResult, type Scorecard } from './scorecard.js';
import { scoreDrill, type PlantedIndicator } from './score/index.js';
import { round1 } from './score/stats.js';
import { plantedIndicators, verifyIndicators } from './truth.js';

/** How a caller shows the drill: stages with progress, lines for humans, renderers for the run. */
export interface DrillHooks {
  /** Run one stage. `ownProgress`: the stage draws its own progress (the run): do not draw over it. */
  stage<T>(
    title: string,
    fn: () => Promise<T>,
    opts?: { ownProgress?: boolean; summary?: (value: T) => string },
  ): Promise<T>;
  say(line: string): void;
  /** Subscribers to the run's events (progress renderers). */
  sinks: readonly EventSink[];
}

const quiet: DrillHooks = { stage: (_t, fn) => fn(), say: () => undefined, sinks: [] };

export interface DrillOptions {
  drill: LoadedDrill;
  /** Overrides the drill's seed. */
  seed?: Seed;
  labDir: string;
  runsDir?: string;
  /** Leave the lab up at the end (for inspection). */
  keep?: boolean;
  /** Ctrl-C: stops the run, skips to scoring and lab down. */
  signal?: AbortSignal;
  /** Param overrides on top of the drill's (`-e`). */
  params?: readonly ParamOverride[];
  hooks?: Partial<DrillHooks>;
}

export interface DrillResult {
  scorecard: Scorecard;
  scorecardPath: string;
  exitCode: number;
}

/** pass → 0, fail → DrillFailed, interrupted → Aborted. */
export function drillExitCode(verdict: Scorecard['verdict']['result']): number {
  return verdict === 'pass' ? ExitCode.Ok : verdict === 'aborted' ? ExitCode.Aborted : ExitCode.DrillFailed;
}

/** Load the runbook and resolve params before anything boots: bad input fails with nothing to clean up. */
async function prepareRunbook(o: DrillOptions): Promise<{ loaded: LoadedRunbook; params: Record<string, unknown> }> {
  const loaded = await loadRunbook(o.drill.runbookPath);
  const declared = loaded.runbook.params ?? {};
  const overrides: ParamOverride[] = [
    ...Object.entries(o.drill.spec.params).map(([key, value]) => ({ key, value, source: `${o.drill.source} params` })),
    ...(o.params ?? []),
  ];
  return { loaded, params: resolveParams(declared, overrides) };
}

export async function runDrill(o: DrillOptions): Promise<DrillResult> {
  const hooks: DrillHooks = { ...quiet, ...o.hooks };
  const spec = o.drill.spec;
  const seed = o.seed ?? spec.seed ?? freshSeed();
  const { loaded, params } = await prepareRunbook(o);
  const assignment = assignScenarios(spec, seed);
  const plans = planFaults(spec.faults, assignment.roles, seed);
  const notes = plans
    .filter((p) => p.short > 0)
    .map(
      (p) =>
        `Fault ${p.index + 1} (${p.spec.kind}) asked for ${p.hosts.length + p.short} host(s) among ${p.spec.among}; only ${p.hosts.length} exist.`,
    );
  const hypothesis = effectiveHypothesis(spec.hypothesis);
  const injector = new FaultInjector(o.labDir, plans, hooks.say);
  const egress: EgressSample[] = [];
  const recorder = new EventRecorder();
  const startedAt = new Date();
  const interrupted = (): string | undefined =>
    o.signal?.aborted ? String(o.signal.reason ?? 'interrupted') : undefined;

  let state: LabState | undefined;
  let planted: PlantedIndicator[] = [];
  let run: DrillRun | undefined;
  const probes: { before: ProbeResult[]; after: ProbeResult[] } = { before: [], after: [] };
  try {
    const live = (): void => {
      const why = interrupted();
      if (why) throw new AbortError(`drill stopped before the run: ${why}`);
    };
    state = await hooks.stage(
      `lab up: ${spec.lab.hosts} hosts`,
      () =>
        labUp({
          dir: o.labDir,
          hosts: spec.lab.hosts,
          scenarios: [],
          laterScenarios: Object.keys(spec.lab.scenarios),
          log: hooks.say,
        }),
      { summary: (s) => `lab ${s.id} on ${s.network.cidr}` },
    );
    live();
    const requests = Object.entries(spec.lab.scenarios).map(([name, count]) => ({ name, count }));
    await hooks.stage(
      `plant: ${requests.map((r) => `${r.name}:${r.count}`).join(', ') || 'nothing'} (seed ${seed})`,
      async () => {
        await plantScenarios(state!, requests, spec.timeout + 900, assignment.order);
        writeLabFiles(state!);
      },
    );
    planted = plantedIndicators(state);
    const generations = new Map(state.hosts.map((h) => [h.name, h.generation]));
    const ctx = (): ProbeContext => ({ state: readLabState(o.labDir), roles: assignment.roles, generations, egress });
    live();
    planted = await hooks.stage(
      'ground truth: check each planted indicator inside its host',
      () => verifyIndicators(state!),
      { summary: (p) => `${p.filter((x) => x.verified).length}/${p.length} hold` },
    );
    live();
    probes.before = await hooks.stage('hypothesis before', () => checkHypothesis(hypothesis, 'before', ctx()), {
      summary: summarizeProbes,
    });
    const steady = probes.before.every((p) => p.ok || !p.required);
    if (steady && !interrupted()) {
      await hooks.stage('faults before the run', () => injector.injectBefore(), {
        summary: () => `${injector.entries.filter((e) => e.status === 'injected').length} injected`,
      });
      const watcher = new IsolationWatcher(o.labDir, DEFAULT_WINDOW_SECONDS, egress);
      run = await hooks.stage(
        `run ${loaded.runbook.name}`,
        () =>
          runOnLab({
            loaded,
            params,
            state: state!,
            sinks: [recorder, injector, watcher, ...hooks.sinks],
            forks: spec.forks,
            runsDir: o.runsDir,
            timeoutSeconds: spec.timeout,
            signal: o.signal,
          }),
        { ownProgress: true },
      );
      await hooks.stage('heal faults', async () => {
        await injector.healAll();
        await watcher.settle();
      });
      if (!interrupted())
        probes.after = await hooks.stage('hypothesis after', () => checkHypothesis(hypothesis, 'after', ctx()), {
          summary: summarizeProbes,
        });
    }
    const scores = scoreDrill({
      roles: assignment.roles,
      planted: planted.length ? planted : state ? plantedIndicators(state) : [],
      events: recorder.events,
      egress,
      faults: injector.entries,
      hypothesis: probes,
      thresholds: spec.thresholds,
      aborted: interrupted(),
      stoppedByDrill: run?.stoppedByDrill,
      notes,
    });
    const finishedAt = new Date();
    const scorecard: Scorecard = {
      version: SCORECARD_VERSION,
      drill: {
        name: spec.name,
        ...(spec.description ? { description: spec.description.trim() } : {}),
        source: o.drill.source,
        seed,
        runbook: o.drill.runbookPath,
        params,
        hosts: spec.lab.hosts,
        scenarios: spec.lab.scenarios,
        compromisedScenarios: compromisedScenarios(spec),
      },
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationSeconds: round1((finishedAt.getTime() - startedAt.getTime()) / 1000),
      lab: {
        id: state.id,
        dir: state.dir,
        cidr: state.network.cidr,
        bridge: state.network.bridge,
        kept: o.keep ?? false,
      },
      run: run
        ? {
            runId: run.runId,
            runDir: run.runDir,
            exitCode: run.summary.exitCode,
            ...(run.summary.aborted ? { aborted: run.summary.aborted } : {}),
            startedAt: run.summary.startedAt,
            durationSeconds: round1(run.summary.durationMs / 1000),
          }
        : null,
      hosts: assignment.roles,
      ...scores,
    };
    const dir = run?.runDir ?? createRunDir(o.runsDir ?? 'runs', `drill-${spec.name}`, Date.now()).dir;
    const scorecardPath = join(dir, SCORECARD_FILE);
    writeJsonAtomic(scorecardPath, scorecard);
    // The run wrote its report before the drill scored it: write it again, now with the drill section.
    if (run)
      await writeReportFiles(dir).catch((err: Error) =>
        hooks.say(`could not add the scorecard to the report: ${err.message}`),
      );
    return { scorecard, scorecardPath, exitCode: drillExitCode(scorecard.verdict.result) };
  } finally {
    await injector.healAll().catch(() => undefined);
    if (state && !o.keep) {
      // A failed teardown must not hide why the drill ended: say it, with the command that finishes it.
      await hooks
        .stage('lab down', () => labDown(o.labDir), {
          summary: (s) => `${s.hosts.length} hosts and ${s.network.bridge} removed`,
        })
        .catch((err: Error) =>
          hooks.say(`lab down failed: ${err.message}; finish it with \`firebreak lab down --dir ${o.labDir}\``),
        );
    } else if (state)
      hooks.say(`lab kept: ${state.files.inventory} (remove it with \`firebreak lab down --dir ${o.labDir}\`)`);
  }
}

function summarizeProbes(results: readonly ProbeResult[]): string {
  if (!results.length) return 'no probes due';
  return results
    .map((p) => `${p.probe} ${p.ok ? '✔' : '✖'} ${p.hosts.filter((h) => h.ok).length}/${p.hosts.length}`)
    .join(', ');
}
