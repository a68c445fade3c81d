/**
 * The JetStream streams, buckets and consumers firebreak uses, created by the controller (which may)
 * and opened by workers (which, with per-segment credentials, may only use them). File storage: a
 * restarted NATS server still has every work unit, event, record and object.
 */
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  EVENTS_STREAM,
  EVIDENCE_BUCKET,
  RUNS_BUCKET,
  STEPS_BUCKET,
  WORK_STREAM,
  workConsumer,
  workSubject,
} from './names.js';

/** How long a worker may go without a sign of life on a work unit before it is given to another. */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** A work unit that failed this many deliveries in a row is a poison message: it is given up. */
const MAX_DELIVER = 10;
/** Runs' data (events, records, objects) is kept this long on the bus; the run directory keeps it for good. */
const KEEP_MS = 14 * 24 * 3600_000;

export interface Bus {
  nc: NatsConnection;
  domain?: string;
  js: JetStreamClient;
  steps: KV;
  runs: KV;
  objects: ObjectStore;
}

/** Create what is missing (controller), or open what is there. */
export async function openBus(nc: NatsConnection, create: boolean, domain?: string): Promise<Bus> {
  const jsOpts = domain ? { domain } : {};
  const js = jetstream(nc, jsOpts);
  if (create) {
    const jsm = await jetstreamManager(nc, jsOpts);
    await ensureStream(jsm, {
      name: WORK_STREAM,
      subjects: ['fb.work.>'],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      // Long: a controller re-attaching hours later sends its in-flight units again under the same ids.
      duplicate_window: nanos(6 * 3600_000),
      max_age: nanos(KEEP_MS),
    });
    await ensureStream(jsm, {
      name: EVENTS_STREAM,
      subjects: ['fb.events.>'],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: nanos(600_000),
      max_age: nanos(KEEP_MS),
    });
  }
  const kvm = new Kvm(js);
  const objm = new Objm(js);
  const kvOpts = { history: 1, storage: StorageType.File, ttl: KEEP_MS };
  const [steps, runs, objects] = create
    ? await Promise.all([
        kvm.create(STEPS_BUCKET, kvOpts),
        kvm.create(RUNS_BUCKET, kvOpts),
        // The object store's ttl is in nanoseconds (the KV's is in milliseconds): 14 days, not 1.2 s.
        objm.create(EVIDENCE_BUCKET, { storage: StorageType.File, ttl: nanos(KEEP_MS) }),
      ])
    : await Promise.all([kvm.open(STEPS_BUCKET), kvm.open(RUNS_BUCKET), objm.open(EVIDENCE_BUCKET)]);
  return { nc, js, steps, runs, objects, ...(domain ? { domain } : {}) };
}

/** The durable consumer a segment's workers share (created or brought to this ack wait). */
export async function ensureWorkConsumer(
  nc: NatsConnection,
  segment: string,
  ackWaitMs: number,
  domain?: string,
): Promise<void> {
  const jsm = await jetstreamManager(nc, domain ? { domain } : {});
  const config = {
    durable_name: workConsumer(segment),
    filter_subject: workSubject(segment),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(ackWaitMs),
    max_deliver: MAX_DELIVER,
  };
  const existing = await jsm.consumers.info(WORK_STREAM, config.durable_name).catch(() => null);
  if (!existing) await jsm.consumers.add(WORK_STREAM, config);
  else if (existing.config.ack_wait !== config.ack_wait)
    await jsm.consumers.update(WORK_STREAM, config.durable_name, { ack_wait: config.ack_wait });
}

async function ensureStream(
  jsm: JetStreamManager,
  config: Parameters<JetStreamManager['streams']['add']>[0] & { name: string },
): Promise<void> {
  const existing = await jsm.streams.info(config.name).catch(() => null);
  if (!existing) await jsm.streams.add(config);
}
