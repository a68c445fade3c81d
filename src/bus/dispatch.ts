/**
 * The controller's side of the bus: the executor hands it the phases of hosts routed to a segment
 * (`firebreak_segment`); it sends each host-phase as a work unit, folds the workers' envelopes back
 * into the run (events journaled once each, evidence hashed again into the run's store, output files
 * into the run directory) and resolves the host-phase with the worker's result. A host-phase no worker
 * takes (or whose worker went silent with none to take over) is reported waiting, then failed.
 */
import { mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ConsumerMessages } from '@nats-io/jetstream';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/transport-node';
import type { Host, PhaseName, RunEvent, StoredArtifact } from '../core/index.js';
import type { HostPhaseResult, RemotePhaseIo, RemotePhases } from '../engine/executor-types.js';
import { insideDir } from '../engine/attempt.js';
import type { RunInputs } from '../engine/run-inputs.js';
import { hostSnapshot } from '../engine/run-inputs.js';
import { WORK_FORMAT, parseEnvelope, type Envelope, type WorkUnit } from './envelope.js';
import {
  beatSubject,
  claimKey,
  controlSubject,
  EVENTS_STREAM,
  eventsSubject,
  runKey,
  segmentOf,
  WORK_STREAM,
  workSubject,
} from './names.js';
import { DEFAULT_ACK_WAIT_MS, ensureWorkConsumer, type Bus } from './resources.js';
import { retryBus } from './retry.js';

export interface DispatchOptions {
  /** Resumed run: what the journal already has (bus ids of relayed events are skipped). */
  journaled?: readonly RunEvent[];
  /** A host-phase no worker answers for this long fails (default 120 s). */
  segmentWaitMs?: number;
  /** Ack wait of the segments' work consumers (default 30 s). */
  ackWaitMs?: number;
  /** Silence before a host-phase is reported waiting (default 5 s). */
  waitingNoticeMs?: number;
}

interface Waiter {
  io: RemotePhaseIo;
  segment: string;
  lastActivity: number;
  noticed: boolean;
  /** A watch tick is still running (a claim tried against a restarting server takes a while). */
  watching?: boolean;
  unit: WorkUnit;
  /** Copies of the unit sent so far. */
  sent: number;
  /** The claim revision a takeover copy was sent for (once per revision). */
  takeoverFor?: number;
  resolve: (r: HostPhaseResult) => void;
}

export class BusDispatcher implements RemotePhases {
  private readonly waiters = new Map<string, Waiter>();
  private readonly seen = new Set<string>();
  /** Worker artifact ids → the run store's. */
  private readonly refs = new Map<string, Pick<StoredArtifact, 'id' | 'sha256' | 'match'>>();
  private started: Promise<void> | undefined;
  private messages: ConsumerMessages | undefined;
  private beats: Subscription | undefined;
  private readonly consumers = new Map<string, Promise<void>>();
  private told: 'stop' | 'abort' | undefined;
  private runId = '';
  /** Envelopes of host-phases not (yet) waited for: a re-attached controller meets them before it asks. */
  private readonly pending = new Map<string, Envelope[]>();
  /** One envelope at a time, in stream order. */
  private queue: Promise<void> = Promise.resolve();
  /** Evidence envelopes already in the run's store (a re-attached controller must not store them twice). */
  private ingested: Set<string> | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly inputs: RunInputs,
    private readonly o: DispatchOptions = {},
  ) {
    for (const e of o.journaled ?? []) if (e.bus) this.seen.add(e.bus);
  }

  owns(host: Host): boolean {
    return segmentOf(host) !== undefined;
  }

  async runPhase(
    host: Host,
    phase: PhaseName,
    indexes: readonly number[],
    io: RemotePhaseIo,
  ): Promise<HostPhaseResult> {
    const segment = segmentOf(host)!;
    await (this.started ??= this.start(io.runId));
    await this.ensureConsumer(segment);
    // Resumed: the host-phase was announced (and its work sent) before the controller died.
    if (!io.entered) io.emit({ type: 'host.started', host: host.name, phase });
    const key = waiterKey(host.name, phase);
    const unit: WorkUnit = {
      format: WORK_FORMAT,
      runId: io.runId,
      segment,
      host: hostSnapshot(host),
      phase,
      indexes: [...indexes],
      registered: io.registered,
    };
    const done = new Promise<HostPhaseResult>((resolve) =>
      this.waiters.set(key, { io, segment, lastActivity: Date.now(), noticed: false, resolve, unit, sent: 1 }),
    );
    // What the workers sent while this controller was away, in the order they sent it.
    for (const e of this.pending.get(key) ?? []) void this.enqueue(e);
    this.pending.delete(key);
    const ack = await retryBus(`sending the work of ${host.name}/${phase}`, () =>
      this.bus.js.publish(workSubject(segment), JSON.stringify(unit), {
        msgID: `${io.runId}/${host.name}/${phase}/work`,
      }),
    );
    const watch = setInterval(() => {
      const w = this.waiters.get(key);
      if (!w || w.watching) return;
      w.watching = true;
      void this.watch(key, host.name, phase, ack.seq).finally(() => (w.watching = false));
    }, 1000);
    try {
      return await done;
    } finally {
      clearInterval(watch);
      this.waiters.delete(key);
    }
  }

  /** Stop following the run's events (the connection is the caller's). */
  async close(): Promise<void> {
    this.beats?.unsubscribe();
    await this.messages?.close().catch(() => undefined);
  }

  private async start(runId: string): Promise<void> {
    this.runId = runId;
    await retryBus('publishing the run inputs', () => this.bus.runs.put(runKey(runId), JSON.stringify(this.inputs)));
    this.beats = this.bus.nc.subscribe(beatSubject(runId), {
      callback: (_err, m) => {
        const b = m.json<{ host: string; phase: PhaseName }>();
        this.activity(b.host, b.phase);
      },
    });
    const consumer = await this.bus.js.consumers.get(EVENTS_STREAM, { filter_subjects: eventsSubject(runId) });
    this.messages = await consumer.consume();
    const messages = this.messages;
    void (async () => {
      for await (const m of messages) {
        let e: Envelope;
        try {
          e = parseEnvelope(m.data);
        } catch (err) {
          process.emitWarning(`firebreak: a malformed envelope on the bus was skipped: ${(err as Error).message}`);
          continue;
        }
        await this.enqueue(e);
      }
    })();
  }

  private ensureConsumer(segment: string): Promise<void> {
    let p = this.consumers.get(segment);
    if (!p) {
      p = ensureWorkConsumer(this.bus.nc, segment, this.o.ackWaitMs ?? DEFAULT_ACK_WAIT_MS, this.bus.domain);
      this.consumers.set(segment, p);
    }
    return p;
  }

  private activity(host: string, phase: PhaseName): Waiter | undefined {
    const w = this.waiters.get(waiterKey(host, phase));
    if (w) {
      w.lastActivity = Date.now();
      w.noticed = false;
    }
    return w;
  }

  private enqueue(e: Envelope): Promise<void> {
    this.queue = this.queue
      .then(() => this.receive(e))
      .catch((err: unknown) => {
        process.emitWarning(`firebreak: an envelope from the bus could not be used: ${(err as Error).message}`);
      });
    return this.queue;
  }

  /** One envelope; each id once. */
  private async receive(e: Envelope): Promise<void> {
    if (this.seen.has(e.id)) return;
    const w = this.activity(e.host, e.phase);
    if (!w) {
      const key = waiterKey(e.host, e.phase);
      this.pending.set(key, [...(this.pending.get(key) ?? []), e]);
      return;
    }
    this.seen.add(e.id);
    switch (e.kind) {
      case 'event': {
        const ev = { ...e.event, bus: e.id };
        if (ev.type === 'host.started') return; // announced when the work was sent
        if (ev.type === 'evidence.stored') {
          const real = this.refs.get(ev.artifact.id);
          w.io.emit(real ? { ...ev, artifact: { ...ev.artifact, ...real } } : ev);
          return;
        }
        w.io.emit(ev);
        return;
      }
      case 'evidence': {
        const store = await w.io.evidence();
        this.ingested ??= new Set(store.artifacts.flatMap((a) => (a.relay?.envelope ? [a.relay.envelope] : [])));
        const before = this.ingested.has(e.id) && store.artifacts.find((a) => a.relay?.envelope === e.id);
        if (before) {
          this.refs.set(e.ref, { id: before.id, sha256: before.sha256AtRest, match: before.match });
          return;
        }
        const stream = await this.objectStream(e.object);
        const stored = await store.addStream(
          {
            host: e.input.host,
            step: e.input.step,
            source: e.input.source as StoredArtifact['source'],
            sha256AtSource: e.input.sha256AtSource,
            ...(e.input.acquisition ? { acquisition: e.input.acquisition as never } : {}),
            relay: {
              worker: `${e.worker.user}@${e.worker.machine}`,
              segment: e.worker.segment,
              sha256AtWorker: e.object,
              via: 'nats-jetstream',
              object: e.object,
              envelope: e.id,
            },
          },
          stream,
        );
        this.refs.set(e.ref, { id: stored.id, sha256: stored.sha256AtRest, match: stored.match });
        return;
      }
      case 'file': {
        const target = insideDir(w.io.runDir, e.path);
        mkdirSync(dirname(target), { recursive: true });
        const out = await open(target, 'w', 0o600);
        try {
          for await (const chunk of await this.objectStream(e.object)) await out.write(chunk as Buffer);
        } finally {
          await out.close();
        }
        return;
      }
      case 'host-record': {
        const store = await w.io.evidence();
        if (!store.hasHostRecord(e.record.host)) store.recordHost(e.record);
        return;
      }
      case 'result':
        for (const [k, v] of Object.entries(e.registered)) w.io.registered[k] = this.withRealIds(v);
        w.resolve(e.state);
        return;
    }
  }

  /** An object's bytes; a bus that stops sending them for a minute fails the read instead of hanging the run. */
  private async objectStream(name: string): Promise<AsyncIterable<Buffer>> {
    const r = await within(OBJECT_IDLE_MS, `object ${name}: no answer from the bus`, () =>
      retryBus(`reading object ${name}`, () => this.bus.objects.get(name), OBJECT_IDLE_MS),
    );
    if (!r) throw new Error(`object ${name} is not in the bus's object store`);
    return idleBounded(Readable.fromWeb(r.data as WebReadableStream<Uint8Array>), name);
  }

  /** A registered result whose artifacts carry worker ids gets the run store's ids and hashes. */
  private withRealIds(v: unknown): unknown {
    const r = v as { artifacts?: StoredArtifact[] };
    if (!r || typeof r !== 'object' || !Array.isArray(r.artifacts)) return v;
    return {
      ...r,
      artifacts: r.artifacts.map((a) => {
        const real = this.refs.get(a.id);
        return real ? { ...a, ...real } : a;
      }),
    };
  }

  /** Once a second per waiting host-phase: pass on stop/abort, report silence, give up after the wait. */
  private async watch(key: string, host: string, phase: PhaseName, workSeq: number): Promise<void> {
    const w = this.waiters.get(key);
    if (!w) return;
    if (w.io.signal.aborted) this.tell('abort', String(w.io.signal.reason ?? 'aborted'));
    else if (w.io.stopping()) this.tell('stop', 'the run is stopping');
    const silent = Date.now() - w.lastActivity;
    const waitMs = this.o.segmentWaitMs ?? 120_000;
    if (!w.noticed && silent >= (this.o.waitingNoticeMs ?? Math.min(5000, waitMs / 2))) {
      w.noticed = true;
      w.io.emit({
        type: 'host.waiting',
        host,
        phase,
        segment: w.segment,
        message: `no worker of segment ${w.segment} has answered for ${Math.round(silent / 1000)} s; giving up after ${Math.round(waitMs / 1000)} s`,
      });
      await this.sendAgainIfUnclaimed(w, host, phase);
    }
    const ackWaitMs = this.o.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    if (silent >= Math.max(2 * ackWaitMs, 10_000)) await this.sendTakeoverIfClaimed(w, host, phase);
    if (silent < waitMs && !(w.io.signal.aborted && silent > 15_000)) return;
    // Take the claim for the controller: a worker that turns up later drops the unit.
    if (!(await this.claimForController(host, phase))) {
      w.lastActivity = Date.now(); // a worker claimed it just now
      return;
    }
    const jsm = await jetstreamManager(this.bus.nc, this.bus.domain ? { domain: this.bus.domain } : {});
    await jsm.streams.deleteMessage(WORK_STREAM, workSeq).catch(() => undefined);
    const message = w.io.signal.aborted
      ? `${host}: aborted while its worker did not answer`
      : `${host}: no worker of segment ${w.segment} answered for ${Math.round(waitMs / 1000)} s (is \`firebreak worker --segment ${w.segment}\` running and connected to the bus?)`;
    w.io.emit({ type: 'host.failed', host, phase, step: `(waiting for segment ${w.segment})`, message });
    const state: HostPhaseResult = w.io.signal.aborted ? 'aborted' : 'failed';
    w.io.emit({ type: 'host.finished', host, phase, state });
    w.resolve(state);
  }

  /**
   * No worker claimed the unit yet: send a copy. JetStream can lose track of a unit it handed to a pull
   * request of a worker that died (seen on nats-server 2.9 after a restart): the copy gets to a live one.
   * Two copies are harmless: the second finds the claim and the step records of the first.
   */
  private async sendAgainIfUnclaimed(w: Waiter, host: string, phase: PhaseName): Promise<void> {
    const claim = await this.readClaim(host, phase);
    if (claim === undefined || (claim && claim.operation === 'PUT')) return;
    await this.sendCopy(w, host, phase);
  }

  /**
   * A worker claimed the host-phase, then went silent for twice the ack wait: JetStream should have
   * handed the unit to another worker by now, and has not (nats-server 2.9 was seen losing a unit
   * delivered to a worker SIGKILLed mid-step). A copy that may take over exactly that claim (the
   * revision seen here: a holder that wrote since keeps it) goes to a live worker, which continues
   * from the step records as after any takeover. Once per claim revision.
   */
  private async sendTakeoverIfClaimed(w: Waiter, host: string, phase: PhaseName): Promise<void> {
    const claim = await this.readClaim(host, phase);
    if (!claim || claim.operation !== 'PUT' || claim.revision === w.takeoverFor) return;
    if (claim.json<{ by?: string }>().by !== 'worker') return;
    w.takeoverFor = claim.revision;
    await this.sendCopy(w, host, phase, claim.revision);
  }

  /** The host-phase's claim entry: null when there is none, undefined when the bus did not answer. */
  private readClaim(host: string, phase: PhaseName) {
    return retryBus('reading a claim', () => this.bus.steps.get(claimKey(this.runId, host, phase)), 10_000).catch(
      () => undefined,
    );
  }

  /** Another copy of the unit (numbered, so a worker tells it from the original). */
  private async sendCopy(w: Waiter, host: string, phase: PhaseName, takeover?: number): Promise<void> {
    w.sent++;
    const unit: WorkUnit = { ...w.unit, copy: w.sent, ...(takeover !== undefined ? { takeover } : {}) };
    await this.bus.js
      .publish(workSubject(w.segment), JSON.stringify(unit), {
        msgID: `${this.runId}/${host}/${phase}/work/${w.sent}`,
      })
      .catch(() => undefined);
  }

  private async claimForController(host: string, phase: PhaseName): Promise<boolean> {
    const key = claimKey(this.runId, host, phase);
    const mine = JSON.stringify({ by: 'controller', at: new Date().toISOString() });
    try {
      const entry = await retryBus('reading a claim', () => this.bus.steps.get(key), 30_000);
      await retryBus(
        'claiming a host-phase',
        () =>
          !entry || entry.operation !== 'PUT'
            ? this.bus.steps.create(key, mine)
            : this.bus.steps.update(key, mine, entry.revision),
        30_000,
      );
      return true;
    } catch {
      return false; // a worker claimed it, or the bus is down: look again on the next tick
    }
  }

  private tell(action: 'stop' | 'abort', reason: string): void {
    if (this.told === 'abort' || this.told === action) return;
    this.told = action;
    this.bus.nc.publish(controlSubject(this.runId), JSON.stringify({ action, reason }));
  }
}

const waiterKey = (host: string, phase: PhaseName): string => `${phase}\u0000${host}`;

/** Without a chunk for this long, an object read from the bus fails. */
const OBJECT_IDLE_MS = 60_000;

function within<T>(ms: number, message: string, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([fn(), late]).finally(() => clearTimeout(timer));
}

async function* idleBounded(stream: Readable, name: string): AsyncGenerator<Buffer> {
  const chunks = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await within(OBJECT_IDLE_MS, `object ${name}: the bus stopped sending it`, () => chunks.next());
      if (next.done) return;
      yield next.value as Buffer;
    }
  } finally {
    stream.destroy();
  }
}
