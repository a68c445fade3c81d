/**
 * The drill's run: the rehearsed runbook across the lab inventory through `runRunbook` (the same path as
 * `firebreak run`), with the drill's own subscribers — the fault injector, an egress watch on each host
 * right after its isolation, a recorder of the events for scoring — plus a deadline and Ctrl-C.
 * Phases marked `confirm` are confirmed: the targets are lab hosts only, made for this drill.
 */
import type { EventSink, RunEvent } from '../core/index.js';
import type { RunSummary } from '../engine/executor-types.js';
import { runRunbook } from '../engine/run-runbook.js';
import { loadInventory, selectHosts } from '../inventory/index.js';
import { findHost, readLabState, type LabState } from '../lab/index.js';
import type { LoadedRunbook } from '../runbook/index.js';
import { sampleEgress } from './probes.js';
import type { EgressSample } from './scorecard.js';

/** Keeps the run's events for scoring (not step output: it is in the run directory, and scoring never reads it). */
export class EventRecorder implements EventSink {
  readonly events: RunEvent[] = [];
  emit(e: RunEvent): void {
    if (e.type !== 'step.output') this.events.push(e);
  }
}

/** Watches each host's egress once, right after its first isolate step finished ok. */
export class IsolationWatcher implements EventSink {
  private readonly types = new Map<string, string | undefined>();
  private readonly watched = new Set<string>();
  private readonly pending: Promise<unknown>[] = [];

  constructor(
    private readonly labDir: string,
    private readonly seconds: number,
    readonly samples: EgressSample[],
  ) {}

  emit(e: RunEvent): void {
    if (e.type === 'step.started') this.types.set(`${e.host}\0${e.index}`, e.stepType);
    if (e.type !== 'step.finished' || this.types.get(`${e.host}\0${e.index}`) !== 'isolate') return;
    if ((e.outcome.status !== 'ok' && e.outcome.status !== 'changed') || this.watched.has(e.host)) return;
    this.watched.add(e.host);
    const host = findHost(readLabState(this.labDir), e.host);
    this.pending.push(sampleEgress(host, this.seconds, 'isolation', this.samples).catch(() => undefined));
  }

  async settle(): Promise<void> {
    await Promise.all(this.pending);
  }
}

export interface DrillRunOptions {
  loaded: LoadedRunbook;
  params: Record<string, unknown>;
  state: LabState;
  sinks: readonly EventSink[];
  forks?: number;
  runsDir?: string;
  /** Seconds before the drill aborts the run. */
  timeoutSeconds: number;
  signal?: AbortSignal;
}

export interface DrillRun {
  runId: string;
  runDir: string;
  summary: RunSummary;
  /** Set when the drill stopped the run at its deadline. */
  stoppedByDrill?: string;
}

/** Controller-side hooks (a rebuild's `firebreak lab reset --dir "$FIREBREAK_LAB_DIR" HOST`) find the drill's lab here. */
export const LAB_DIR_ENV = 'FIREBREAK_LAB_DIR';

export async function runOnLab(o: DrillRunOptions): Promise<DrillRun> {
  // Hooks inherit the controller's environment: the only way to tell them which lab this is.
  const previous = process.env[LAB_DIR_ENV];
  process.env[LAB_DIR_ENV] = o.state.dir;
  try {
    return await runWithDeadline(o);
  } finally {
    if (previous === undefined) delete process.env[LAB_DIR_ENV];
    else process.env[LAB_DIR_ENV] = previous;
  }
}

async function runWithDeadline(o: DrillRunOptions): Promise<DrillRun> {
  const inventory = await loadInventory([o.state.files.inventory]);
  const hosts = selectHosts(inventory, 'all');
  const groups = Object.fromEntries(
    [...inventory.groups.keys()].map((g) => [g, selectHosts(inventory, g).map((h) => h.name)]),
  );
  const handle = await runRunbook({
    loaded: o.loaded,
    hosts,
    params: o.params,
    groups,
    forks: o.forks,
    runsDir: o.runsDir,
    sinks: o.sinks,
    confirm: async () => true,
    signal: o.signal,
    ssh: { knownHostsFile: o.state.files.knownHosts, acceptNew: false, connectTimeoutMs: 10_000 },
  });
  let stoppedByDrill: string | undefined;
  const deadline = setTimeout(() => {
    stoppedByDrill = `the run took longer than the drill's timeout (${o.timeoutSeconds} s)`;
    handle.abort(stoppedByDrill);
  }, o.timeoutSeconds * 1000);
  try {
    const summary = await handle.done;
    return { runId: handle.runId, runDir: handle.runDir, summary, ...(stoppedByDrill ? { stoppedByDrill } : {}) };
  } finally {
    clearTimeout(deadline);
  }
}
