/**
 * TTY progress on listr2: one task per phase, whose output is a row per host (state, current step,
 * elapsed) or, above ~30 hosts, a bounded fleet view (fleet-view.ts). listr2 drives tasks it runs
 * itself, so each phase task here is a promise that resolves when the engine's events say the phase
 * ended; a timer copies the pure ProgressModel's view into task.title/task.output a few times a second
 * (setting them on every event would re-render 500 hosts × every output line).
 */
import { Listr } from 'listr2';
import { terminalSafe, type EventSink, type PhaseName, type RunEvent } from '../core/index.js';
import { ProgressModel, phaseLines, phaseTitle, type ViewOptions } from './progress-model.js';

export interface ListrRendererOptions extends ViewOptions {
  /** listr2 renderer: 'default' on a TTY; 'simple'/'silent'/'test' for tests. Default 'default'. */
  renderer?: 'default' | 'simple' | 'silent' | 'test';
  /** Refresh interval of titles and outputs (default 200 ms). */
  refreshMs?: number;
  now?: () => number;
}

/** The part of listr2's TaskWrapper this renderer uses. */
interface TaskHandle {
  title: string;
  output: string;
  skip(message?: string): void;
}

interface PhaseTask {
  task?: TaskHandle;
  resolve: () => void;
  promise: Promise<void>;
}

export class ListrProgressRenderer implements EventSink {
  readonly model = new ProgressModel();
  private readonly tasks = new Map<PhaseName, PhaseTask>();
  private running: Promise<unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: ListrRendererOptions = {}) {}

  emit(e: RunEvent): void {
    this.model.apply(e);
    if (e.type === 'run.started') this.start(e.phases);
    else if (e.type === 'phase.finished' && e.batch === e.batches) this.finishPhase(e.phase);
    else if (e.type === 'run.finished') {
      for (const p of this.tasks.keys()) this.finishPhase(p);
      if (this.timer) clearInterval(this.timer);
    }
  }

  /** Resolves when listr2 has drawn its last frame. Await before printing the recap. */
  async done(): Promise<void> {
    await this.running;
  }

  private start(phases: readonly PhaseName[]): void {
    for (const p of phases) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.tasks.set(p, { resolve, promise });
    }
    const listr = new Listr(
      phases.map((phase) => ({
        title: phase,
        // outputBar counts writes, not lines: keep only the latest view (each refresh writes the whole view).
        rendererOptions: { outputBar: 1, persistentOutput: true },
        task: async (_ctx: unknown, task: TaskHandle) => {
          const t = this.tasks.get(phase)!;
          t.task = task;
          this.refresh();
          await t.promise;
          this.refreshPhase(phase);
          const p = this.model.phases.get(phase);
          if (!p || p.status === 'pending')
            return task.skip(`${phase}: not run${this.model.aborted ? ` (${this.model.aborted})` : ''}`);
          const bad = [...p.rows.values()].filter((r) => r.state === 'failed' || r.state === 'unreachable').length;
          if (bad) throw new Error(phaseTitle(p));
        },
      })) as never,
      {
        concurrent: false,
        exitOnError: false,
        renderer: this.opts.renderer ?? 'default',
        fallbackRenderer: 'simple',
        // A line longer than the terminal is cut, not wrapped: wrapping would unbound the frame's height.
        rendererOptions: { formatOutput: 'truncate' },
      } as never,
    );
    this.running = listr.run().catch(() => undefined);
    this.timer = setInterval(() => this.refresh(), this.opts.refreshMs ?? 200);
    this.timer.unref();
  }

  private finishPhase(phase: PhaseName): void {
    this.tasks.get(phase)?.resolve();
  }

  private refresh(): void {
    for (const phase of this.tasks.keys()) this.refreshPhase(phase);
  }

  private refreshPhase(phase: PhaseName): void {
    const t = this.tasks.get(phase);
    const p = this.model.phases.get(phase);
    if (!t?.task || !p) return;
    t.task.title = terminalSafe(phaseTitle(p));
    const lines = phaseLines(p, (this.opts.now ?? Date.now)(), this.opts);
    if (lines.length) t.task.output = terminalSafe(lines.join('\n'));
  }
}
