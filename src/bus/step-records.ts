/**
 * Step records in the bus's KV bucket: one key per (run, host, step), written with compare-and-set.
 * A worker records a step as started before it runs and as finished (with what it registered) before
 * its end is published; a worker that gets the host-phase after another died reads them back as the
 * host's position, exactly as `resume` reads a journal: finished steps are not run again, the step
 * left "started" is decided by its `verify` (engine/in-flight.ts).
 */
import type { KV } from '@nats-io/kv';
import type { PhaseName } from '../core/index.js';
import type { RecordedStep, StepRecorder } from '../engine/host-runner.js';
import type { FinishedStep, HostPosition } from '../engine/replay.js';
import { stepKey } from './names.js';
import { isConflict, retryBus } from './retry.js';

export type StepRecord =
  | { state: 'started'; name: string; worker: string; delivery: number; at: string; stepType?: string }
  | { state: 'ended'; worker: string; at: string; step: RecordedStep };

interface Held {
  record: StepRecord;
  revision: number;
}

/** The records of one host's steps (the phase's indexes), read once when a worker takes the host-phase. */
export class HostStepRecords implements StepRecorder {
  private readonly held = new Map<number, Held>();

  private constructor(
    private readonly kv: KV,
    private readonly runId: string,
    private readonly host: string,
    private readonly phase: PhaseName,
    private readonly worker: string,
    private readonly delivery: number,
    /** Resolves when every event published so far is stored: a step's end is recorded after its events. */
    private readonly flush: () => Promise<void>,
  ) {}

  static async load(o: {
    kv: KV;
    runId: string;
    host: string;
    phase: PhaseName;
    indexes: readonly number[];
    worker: string;
    delivery: number;
    flush: () => Promise<void>;
  }): Promise<HostStepRecords> {
    const r = new HostStepRecords(o.kv, o.runId, o.host, o.phase, o.worker, o.delivery, o.flush);
    for (const index of o.indexes) {
      const key = stepKey(o.runId, o.host, index);
      const entry = await retryBus(`reading step record ${index} of ${o.host}`, () => o.kv.get(key));
      if (entry && entry.operation === 'PUT' && entry.value.length > 0)
        r.held.set(index, { record: entry.json<StepRecord>(), revision: entry.revision });
    }
    return r;
  }

  /** Where the host stands in this phase, as runHostPhase reads a resumed host's position. */
  position(): HostPosition {
    const pos: HostPosition = {
      host: this.host,
      phases: {},
      // The controller announced the host-phase (host.started) when it sent the work.
      entered: [this.phase],
      finished: new Map(),
      skipped: new Set(),
    };
    for (const [index, { record }] of this.held) {
      if (record.state === 'started') {
        pos.inFlight = {
          index,
          phase: this.phase,
          name: record.name,
          ...(record.stepType ? { stepType: record.stepType } : {}),
          artifacts: [],
        };
      } else if ('skipped' in record.step) pos.skipped.add(index);
      else pos.finished.set(index, record.step);
    }
    return pos;
  }

  /** The steps whose end is recorded, in order (before this worker got the host-phase: read at load). */
  endedSteps(): RecordedStep[] {
    return [...this.held.entries()]
      .sort(([a], [b]) => a - b)
      .flatMap(([, h]) => (h.record.state === 'ended' ? [h.record.step] : []));
  }

  ended(step: RecordedStep): Promise<void> {
    return this.write(step.index, { state: 'ended', worker: this.worker, at: new Date().toISOString(), step }, true);
  }

  async started(index: number, name: string): Promise<void> {
    await this.write(index, {
      state: 'started',
      name,
      worker: this.worker,
      delivery: this.delivery,
      at: new Date().toISOString(),
    });
  }

  /** The first failure among the steps that ended before: the host-phase ended there. */
  failedBefore(): FinishedStep | undefined {
    return this.endedSteps().find((s): s is FinishedStep => 'outcome' in s && s.outcome.status === 'failed');
  }

  /**
   * Create the record, or replace the one this host-phase left (ours, or a dead worker's) at the
   * revision read: a record changed by someone else in between means two workers on one host, and
   * this one stops (the KV error propagates) rather than run a step twice.
   */
  private async write(index: number, record: StepRecord, afterEvents = false): Promise<void> {
    if (afterEvents) await this.flush();
    const key = stepKey(this.runId, this.host, index);
    const data = JSON.stringify(record);
    const held = this.held.get(index);
    let revision: number;
    try {
      revision = await retryBus(`recording step ${index} of ${this.host}`, () =>
        held ? this.kv.update(key, data, held.revision) : this.kv.create(key, data),
      );
    } catch (err) {
      // A write that reached the server before its answer was lost looks like a conflict when tried again.
      const now = isConflict(err) ? await retryBus('reading a step record', () => this.kv.get(key)) : null;
      if (!now || Buffer.from(now.value).toString('utf8') !== data) throw err;
      revision = now.revision;
    }
    this.held.set(index, { record, revision });
  }
}
