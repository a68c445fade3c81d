/**
 * `firebreak worker`: takes its segment's work units from the bus and runs them, `forks` at a time,
 * each on its own SSH connection, verifying host keys as the controller would. A unit in progress is
 * kept from redelivery by progress acks; a worker that dies stops sending them, and after the ack wait
 * another worker of the segment gets the unit and carries it on from the step records.
 */
import { mkdirSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Consumer, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Host, Transport } from '../core/index.js';
import { connectBus, type BusOptions } from './connect.js';
import { parseWorkUnit, type WorkerId, type WorkUnit } from './envelope.js';
import { beatSubject, controlSubject, eventsSubject, token, WORK_STREAM, workConsumer } from './names.js';
import { EnvelopePublisher } from './publisher.js';
import { DEFAULT_ACK_WAIT_MS, openBus, type Bus } from './resources.js';
import { runWorkUnit } from './worker-phase.js';
import { loadWorkerPlan, type WorkerPlan } from './worker-plan.js';

export interface WorkerOptions {
  bus: BusOptions;
  segment: string;
  /** Host-phases at once (default 20). */
  forks?: number;
  /** Makes a host's transport: the worker's own keys, known_hosts and connection settings. */
  transportFor: (host: Host) => Promise<Transport>;
  becomePassword?: string;
  /** Scratch space (spill files, objects a step needs back). */
  workDir: string;
  log: (line: string) => void;
  /** Aborting it stops the worker: no new units; running ones are aborted and left to another worker. */
  signal: AbortSignal;
}

/** What the controller said about a run: stop taking steps, or abort (kill what runs). */
interface RunControl {
  plan: Promise<WorkerPlan>;
  stopping: boolean;
  abort: AbortController;
  sub: Subscription;
}

export async function runWorker(o: WorkerOptions): Promise<void> {
  const me = userInfo().username;
  const worker: WorkerId = {
    name: `${me}@${hostname()}/${process.pid}`,
    user: me,
    machine: hostname(),
    segment: o.segment,
  };
  const nc = await connectBus({ name: `firebreak-worker ${o.segment} ${worker.name}`, ...o.bus });
  try {
    const bus = await waitFor(
      () => openBus(nc, false, o.bus.domain),
      o,
      'the bus buckets (does a controller run against this NATS?)',
    );
    const consumer = await waitFor(
      () => bus.js.consumers.get(WORK_STREAM, workConsumer(o.segment)),
      o,
      `the work consumer of segment ${o.segment} (the controller creates it with the first run routed here)`,
    );
    const ackWaitNs = (await consumer.info(true)).config.ack_wait;
    const ackWaitMs = ackWaitNs ? Math.floor(ackWaitNs / 1e6) : DEFAULT_ACK_WAIT_MS;
    o.log(`worker ${worker.name}: segment ${o.segment}, ${o.forks ?? 20} at once, ack wait ${ackWaitMs / 1000} s`);
    const runs = new Map<string, RunControl>();
    const loops = Array.from({ length: Math.max(1, o.forks ?? 20) }, () =>
      takeWork({ o, bus, nc, consumer, worker, runs, ackWaitMs }),
    );
    await Promise.all(loops);
    for (const r of runs.values()) r.sub.unsubscribe();
  } finally {
    await nc.drain().catch(() => nc.close());
  }
}

interface Loop {
  o: WorkerOptions;
  bus: Bus;
  nc: NatsConnection;
  consumer: Consumer;
  worker: WorkerId;
  runs: Map<string, RunControl>;
  ackWaitMs: number;
}

/** One slot: pull a unit, run it, ack it; until the worker stops. */
async function takeWork(l: Loop): Promise<void> {
  while (!l.o.signal.aborted) {
    let msg: JsMsg | null;
    try {
      // Short pulls: a pull request lost with a restarting server is renewed within seconds.
      msg = await l.consumer.next({ expires: 5000 });
    } catch (err) {
      l.o.log(`pulling work failed (retrying): ${(err as Error).message}`);
      await sleep(1000, l.o.signal);
      continue;
    }
    if (!msg) continue;
    await handle(l, msg);
  }
}

async function handle(l: Loop, msg: JsMsg): Promise<void> {
  let unit: WorkUnit;
  try {
    unit = parseWorkUnit(msg.data);
  } catch (err) {
    l.o.log(`a malformed work unit was dropped: ${(err as Error).message}`);
    msg.term();
    return;
  }
  const what = `${unit.host.name}/${unit.phase} of run ${unit.runId}`;
  const run = control(l, unit.runId);
  // Progress acks hold the unit while it runs; the beat tells the controller this host-phase is alive.
  const keep = setInterval(
    () => {
      msg.working();
      l.nc.publish(beatSubject(unit.runId), JSON.stringify({ host: unit.host.name, phase: unit.phase }));
    },
    Math.max(200, Math.floor(l.ackWaitMs / 3)),
  );
  const delivery = msg.info.deliveryCount;
  l.o.log(
    `${what}: ${
      delivery > 1
        ? `taken over (delivery ${delivery})`
        : unit.takeover !== undefined
          ? "taken over (the controller's copy: the worker holding it went silent)"
          : 'started'
    }`,
  );
  try {
    let plan: WorkerPlan;
    try {
      plan = await run.plan;
    } catch (err) {
      // This worker cannot run the run at all (another version, a runbook it cannot validate): say so
      // on the host-phase and drop the unit, rather than pass it round until it is given up.
      await failUnit(l, unit, delivery, `worker ${l.worker.name} cannot run it: ${(err as Error).message}`);
      msg.term();
      l.o.log(`${what}: refused: ${(err as Error).message}`);
      return;
    }
    const workDir = join(l.o.workDir, token(unit.runId));
    mkdirSync(workDir, { recursive: true, mode: 0o700 });
    const stopped = AbortSignal.any([run.abort.signal, l.o.signal]);
    const r = await runWorkUnit({
      bus: l.bus,
      plan,
      unit,
      delivery,
      worker: l.worker,
      transportFor: l.o.transportFor,
      ...(l.o.becomePassword !== undefined ? { becomePassword: l.o.becomePassword } : {}),
      workDir,
      signal: stopped,
      stopping: () => run.stopping,
    });
    if (l.o.signal.aborted) {
      // This worker is stopping: what it did not finish goes to another worker of the segment.
      msg.nak();
      return;
    }
    await msg.ackAck().catch(() => msg.ack());
    l.o.log(`${what}: ${r === 'dropped' ? 'dropped (the controller stopped waiting for it)' : 'done'}`);
  } catch (err) {
    // Not acked: delivered again after the ack wait (here or to another worker), which goes on from the records.
    l.o.log(`${what}: failed on this worker, left for redelivery: ${(err as Error).message}`);
    msg.nak(l.ackWaitMs);
  } finally {
    clearInterval(keep);
  }
}

/** End a host-phase this worker cannot run as failed, with the reason, through the usual envelopes. */
async function failUnit(l: Loop, unit: WorkUnit, delivery: number, message: string): Promise<void> {
  const p = new EnvelopePublisher(
    l.bus.js,
    eventsSubject(unit.runId),
    unit.runId,
    unit.host.name,
    unit.phase,
    delivery,
    l.worker,
    (t) => t,
  );
  const host = unit.host.name;
  p.event({ type: 'host.failed', host, phase: unit.phase, step: '(worker)', message: `${host}: ${message}` });
  p.event({ type: 'host.finished', host, phase: unit.phase, state: 'failed' });
  p.send(p.resultId(), { kind: 'result', state: 'failed', registered: unit.registered });
  await p.flush();
}

function control(l: Loop, runId: string): RunControl {
  let run = l.runs.get(runId);
  if (run) return run;
  const abort = new AbortController();
  const sub = l.nc.subscribe(controlSubject(runId), {
    callback: (_err, m) => {
      const c = run;
      if (!c) return;
      const { action, reason } = m.json<{ action: string; reason?: string }>();
      c.stopping = true;
      if (action === 'abort') c.abort.abort(reason ?? 'aborted by the controller');
    },
  });
  const plan = loadWorkerPlan(l.bus.runs, runId);
  plan.catch(() => l.runs.delete(runId)); // read again with the next unit
  run = { plan, stopping: false, abort, sub };
  l.runs.set(runId, run);
  return run;
}

/** Retry something that needs the controller first (buckets, the segment's consumer), logging while waiting. */
async function waitFor<T>(fn: () => Promise<T>, o: WorkerOptions, what: string): Promise<T> {
  let logged = 0;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (o.signal.aborted) throw new Error(`stopped while waiting for ${what}`);
      if (Date.now() - logged > 30_000) {
        o.log(`waiting for ${what}: ${(err as Error).message}`);
        logged = Date.now();
      }
      await sleep(1000, o.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}
