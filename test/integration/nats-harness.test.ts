/**
 * The NATS facts the distributed mode rests on, measured against real nats-server processes
 * (test/helpers/nats.ts): JetStream from a leaf node, per-segment authorization, a hub restart under
 * connected clients, redelivery after ack_wait, and duplicate detection by message ID.
 */
import assert from 'node:assert/strict';
import { connect, nanos, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import {
  FIREBREAK_NATS as N,
  segmentAuthConfig,
  segmentInboxPrefix,
  startNatsHub,
  startNatsLeaf,
  stopAllNats,
  type NatsHub,
} from '../helpers/nats.js';
import { needProgram } from '../helpers/programs.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Connections opened by a test, closed in afterEach (also when it failed). */
const open: NatsConnection[] = [];
async function client(opts: ConnectionOptions): Promise<NatsConnection> {
  const nc = await connect({ timeout: 3000, ...opts });
  open.push(nc);
  return nc;
}

/** Bytes with a pattern, so a corrupted or reordered chunk shows. */
function pattern(size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + (i >> 12)) & 0xff;
  return b;
}

/** The work stream and one durable pull consumer per segment, made by a client on the hub. */
async function makeWork(nc: NatsConnection, segments: string[], ackWaitMs = 30_000): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: N.workStream, subjects: ['fb.work.>'] });
  for (const s of segments)
    await jsm.consumers.add(N.workStream, {
      durable_name: N.workConsumer(s),
      filter_subject: N.workSubject(s),
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ackWaitMs),
    });
}

describe('NATS harness: real nats-server hub and leaf nodes', function () {
  this.timeout(30_000);

  before(function () {
    needProgram(this, 'nats-server');
  });

  // Each test's servers go when it ends (also when it failed), so none idles under the next one.
  afterEach(async () => {
    await Promise.all(open.splice(0).map((nc) => nc.close().catch(() => undefined)));
    await stopAllNats();
  });

  it('a client on a leaf node (no JetStream of its own) uses the hub JetStream by its domain: stream, pull consumer, KV, object store', async () => {
    const hub = await startNatsHub({ leafnodes: true });
    const leaf = await startNatsLeaf(hub, { name: 'seg-a' });
    const onHub = await client({ servers: hub.url });
    await makeWork(onHub, ['a']);

    const nc = await client({ servers: leaf.url });
    // Without the domain, the leaf link denies $JS.API.>: the client finds no JetStream.
    await assert.rejects(jetstreamManager(nc, { timeout: 2000 }), /jetstream is not enabled/);

    const js = jetstream(nc, { domain: hub.domain });
    const ack = await js.publish(N.workSubject('a'), 'job-1');
    assert.equal(ack.stream, N.workStream);
    assert.equal(ack.domain, hub.domain);

    const consumer = await js.consumers.get(N.workStream, N.workConsumer('a'));
    const m = await consumer.next({ expires: 2000 });
    assert.ok(m, 'the job reaches the leaf client');
    assert.equal(m.string(), 'job-1');
    assert.equal(m.info.deliveryCount, 1);
    m.working();
    assert.equal(await m.ackAck(), true);
    const jsm = await jetstreamManager(onHub);
    assert.equal((await jsm.consumers.info(N.workStream, N.workConsumer('a'))).num_ack_pending, 0);

    // KV: create fails when the key exists; update is compare-and-set on the revision.
    await new Kvm(onHub).create(N.stepsBucket, { history: 5 });
    const kv = await new Kvm(js).open(N.stepsBucket);
    const r1 = await kv.create('run1.step1', 'started');
    await assert.rejects(kv.create('run1.step1', 'again'), /wrong last sequence/);
    const r2 = await kv.update('run1.step1', 'done', r1);
    await assert.rejects(kv.update('run1.step1', 'stale', r1), /wrong last sequence/);
    assert.equal((await kv.get('run1.step1'))?.string(), 'done');
    assert.equal((await kv.get('run1.step1'))?.revision, r2);

    // Object store: ~5 MiB through the leaf, back intact.
    await new Objm(onHub).create(N.evidenceBucket);
    const os = await new Objm(js).open(N.evidenceBucket);
    const data = pattern(5 * 1024 * 1024 + 17);
    const info = await os.putBlob({ name: 'host1/memory.lime' }, data);
    assert.equal(info.size, data.length);
    const back = await os.getBlob('host1/memory.lime');
    assert.ok(back && Buffer.from(back).equals(Buffer.from(data)), 'the object comes back byte for byte');

    // A client on the hub may name the domain too, so the controller and workers can share code.
    const hubJs = jetstream(onHub, { domain: hub.domain });
    assert.equal((await hubJs.publish(N.workSubject('a'), 'job-2')).seq, 2);
  });

  it('per-segment authorization: seg-a pulls only work-a, on the hub and through a leaf that logs in as seg-a', async () => {
    const controller = { user: 'controller', password: 'ctl-secret' };
    const segA = { user: 'seg-a', password: 'a-secret' };
    const segB = { user: 'seg-b', password: 'b-secret' };
    const hub = await startNatsHub({
      leafnodes: true,
      extraConfig: segmentAuthConfig({ controller, segments: { a: segA, b: segB } }),
    });

    // The controller may do everything: create the streams, consumers and buckets, queue work.
    const ctl = await client({ servers: hub.url, user: controller.user, pass: controller.password });
    await makeWork(ctl, ['a', 'b']);
    const jsm = await jetstreamManager(ctl);
    await jsm.streams.add({ name: 'FIREBREAK_EVENTS', subjects: [N.eventsSubjects] });
    await new Kvm(ctl).create(N.stepsBucket);
    await new Objm(ctl).create(N.evidenceBucket);
    const cjs = jetstream(ctl);
    for (const s of ['a', 'a', 'b']) await cjs.publish(N.workSubject(s), `job-for-${s}`);

    await assert.rejects(
      client({ servers: hub.url, user: segA.user, pass: 'wrong', reconnect: false }),
      /Authorization Violation/,
    );

    // The leaf starts only once the hub's JetStream interest arrived over the seg-a link.
    const leaf = await startNatsLeaf(hub, { name: 'seg-a', credentials: segA });

    const direct = await client({
      servers: hub.url,
      user: segA.user,
      pass: segA.password,
      inboxPrefix: segmentInboxPrefix('a'),
    });
    const viaLeaf = await client({ servers: leaf.url, inboxPrefix: segmentInboxPrefix('a') });

    for (const [how, nc, domain] of [
      ['on the hub', direct, undefined],
      ['through the leaf', viaLeaf, hub.domain],
    ] as const) {
      const js = jetstream(nc, { domain, timeout: 2000 });
      const m = await (await js.consumers.get(N.workStream, N.workConsumer('a'))).next({ expires: 2000 });
      assert.equal(m?.string(), 'job-for-a', how);
      m!.working();
      assert.equal(await m!.ackAck(), true, how);
      assert.equal((await js.publish(`fb.events.a.${how.replace(/ /g, '-')}`, '{}')).stream, 'FIREBREAK_EVENTS');
      const kv = await new Kvm(js).open(N.stepsBucket);
      const rev = await kv.create(`a.${how.length}`, 'x');
      await kv.update(`a.${how.length}`, 'y', rev);
      const os = await new Objm(js).open(N.evidenceBucket);
      const data = pattern(256 * 1024);
      await os.putBlob({ name: `a/${how}` }, data);
      assert.equal((await os.getBlob(`a/${how}`))?.length, data.length, how);
    }

    // work-b: on the hub a permission violation; through the leaf the link drops it (no responders).
    const nextB = (nc: NatsConnection, prefix: string) =>
      nc.request(`${prefix}.CONSUMER.MSG.NEXT.${N.workStream}.${N.workConsumer('b')}`, '{"batch":1}', {
        timeout: 2000,
      });
    await assert.rejects(
      nextB(direct, '$JS.API'),
      /Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.MSG\.NEXT/,
    );
    await assert.rejects(
      jetstream(direct).consumers.get(N.workStream, N.workConsumer('b')),
      /Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.INFO/,
    );
    await assert.rejects(nextB(viaLeaf, `$JS.${hub.domain}.API`), /no responders/);
    await assert.rejects(
      jetstream(viaLeaf, { domain: hub.domain }).consumers.get(N.workStream, N.workConsumer('b')),
      /jetstream is not enabled/,
    );
    // Nor may seg-a publish work or delete the stream, from either place.
    await assert.rejects(jetstream(direct).publish(N.workSubject('b'), 'forged'), /Permissions Violation/);
    await assert.rejects(
      viaLeaf.request(`$JS.${hub.domain}.API.STREAM.DELETE.${N.workStream}`, '', { timeout: 2000 }),
      /no responders/,
    );
    // Clients on the seg-a leaf get only seg-a's inbox: replies to the default _INBOX never arrive.
    const plain = await client({ servers: leaf.url });
    await assert.rejects(
      jetstream(plain, { domain: hub.domain, timeout: 500 }).publish('fb.events.a.x', '{}'),
      /timeout/i,
    );

    const infoB = await jsm.consumers.info(N.workStream, N.workConsumer('b'));
    assert.equal(infoB.num_pending, 1, "seg-b's job is untouched");
    assert.equal(infoB.delivered.stream_seq, 0);
  });

  it('the hub restarted (same store) under connected clients: they reconnect, stream and KV persist, consume() continues', async () => {
    const hub: NatsHub = await startNatsHub({ leafnodes: true });
    const leaf = await startNatsLeaf(hub, { name: 'seg-a' });
    const reconnect = { maxReconnectAttempts: -1, reconnectTimeWait: 250 } as const;
    const ctl = await client({ servers: hub.url, ...reconnect });
    const onLeaf = await client({ servers: leaf.url, ...reconnect });
    await makeWork(ctl, ['a', 'h']);
    const cjs = jetstream(ctl);
    const kv = await new Kvm(cjs).create(N.stepsBucket);
    await kv.put('run1.step1', 'done');

    const statuses = (nc: NatsConnection) => {
      const seen: string[] = [];
      void (async () => {
        for await (const s of nc.status()) seen.push(s.type);
      })();
      return seen;
    };
    const ctlStatus = statuses(ctl);
    const leafStatus = statuses(onLeaf);

    // Two workers: one on the hub itself (default consume options), one on the leaf (expires 1 s).
    const got: Record<string, string[]> = { a: [], h: [] };
    const workers = await Promise.all(
      (
        [
          ['a', jetstream(onLeaf, { domain: hub.domain }), { expires: 1000 }],
          ['h', cjs, {}],
        ] as const
      ).map(async ([segment, js, opts]) => {
        const messages = await (await js.consumers.get(N.workStream, N.workConsumer(segment))).consume(opts);
        const loop = (async () => {
          for await (const m of messages) {
            got[segment]!.push(m.string());
            m.ack();
          }
        })();
        return { messages, loop };
      }),
    );
    const waitFor = async (segment: string, n: number, ms: number) => {
      for (let i = 0; i < ms / 25 && got[segment]!.length < n; i++) await sleep(25);
      assert.equal(
        got[segment]!.length,
        n,
        `${segment}: ${n} jobs within ${ms} ms, got ${JSON.stringify(got[segment])}`,
      );
    };

    for (const s of ['a', 'h']) await cjs.publish(N.workSubject(s), 'before');
    await waitFor('a', 1, 3000);
    await waitFor('h', 1, 3000);
    const oldPid = hub.pid;
    await hub.restart();
    assert.notEqual(hub.pid, oldPid);
    for (let i = 0; i < 100 && !ctlStatus.includes('reconnect'); i++) await sleep(50);
    assert.ok(ctlStatus.includes('reconnect'), `the hub client reconnected (${ctlStatus.join(', ')})`);

    assert.equal((await kv.get('run1.step1'))?.string(), 'done', 'KV persisted');
    const jsm = await jetstreamManager(ctl);
    assert.equal((await jsm.streams.info(N.workStream)).state.messages, 2, 'the stream persisted');
    for (const s of ['a', 'h']) await cjs.publish(N.workSubject(s), 'after');
    // On the hub, the reconnect makes consume() pull again at once.
    await waitFor('h', 2, 2000);
    // The leaf client never lost its connection: its pull died with the hub, and consume() pulls
    // again only after two missed idle heartbeats (expires / 2 each): ~1 s here, ~30 s by default.
    await waitFor('a', 2, 6000);
    assert.deepEqual(got, { a: ['before', 'after'], h: ['before', 'after'] });
    assert.ok(!leafStatus.includes('disconnect'), `the leaf client stayed connected (${leafStatus.join(', ')})`);
    for (const w of workers) w.messages.stop();
    await Promise.all(workers.map((w) => w.loop));
  });

  it('an unacked job is redelivered after ack_wait with a higher deliveryCount; working() holds it', async () => {
    const hub = await startNatsHub();
    const nc = await client({ servers: hub.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: N.workStream, subjects: ['fb.work.>'] });
    for (const s of ['idle', 'busy'])
      await jsm.consumers.add(N.workStream, {
        durable_name: N.workConsumer(s),
        filter_subject: N.workSubject(s),
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(1000),
      });
    const js = jetstream(nc);
    await js.publish(N.workSubject('idle'), 'idle-job');
    await js.publish(N.workSubject('busy'), 'busy-job');
    const idle = await js.consumers.get(N.workStream, N.workConsumer('idle'));
    const busy = await js.consumers.get(N.workStream, N.workConsumer('busy'));

    const neither = (async () => {
      const first = await idle.next({ expires: 2000 });
      assert.equal(first?.info.deliveryCount, 1);
      const t0 = Date.now();
      const again = await idle.next({ expires: 3000 }); // not acked: back after ack_wait (1 s)
      const waited = Date.now() - t0;
      assert.equal(again?.string(), 'idle-job');
      assert.equal(again?.info.deliveryCount, 2);
      assert.equal(again?.info.redelivered, true);
      assert.ok(waited >= 700 && waited < 2900, `redelivered after ${waited} ms`);
      await again!.ackAck();
    })();

    const working = (async () => {
      const m: JsMsg | null = await busy.next({ expires: 2000 });
      assert.equal(m?.info.deliveryCount, 1);
      let beating = true;
      const heart = (async () => {
        for (let i = 0; beating && i < 20; i++) {
          m!.working();
          await sleep(300);
        }
      })();
      // 2 ack_waits with working() every 0.3 s: no redelivery.
      const redelivered = await busy.next({ expires: 2000 });
      beating = false;
      await heart;
      assert.equal(redelivered, null, 'working() kept the job from redelivery');
      assert.equal(await m!.ackAck(), true);
    })();

    await Promise.all([neither, working]);
  });

  it('a msgID published twice within duplicate_window is stored once (PubAck.duplicate)', async () => {
    const hub = await startNatsHub();
    const nc = await client({ servers: hub.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'FIREBREAK_EVENTS', subjects: [N.eventsSubjects], duplicate_window: nanos(60_000) });
    const js = jetstream(nc);
    const first = await js.publish('fb.events.a.step', 'e1', { msgID: 'run1/step1/started' });
    const second = await js.publish('fb.events.a.step', 'e1', { msgID: 'run1/step1/started' });
    const other = await js.publish('fb.events.a.step', 'e2', { msgID: 'run1/step1/done' });
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    assert.equal(second.seq, first.seq, 'the duplicate acks with the stored sequence');
    assert.equal(other.seq, first.seq + 1);
    assert.equal((await jsm.streams.info('FIREBREAK_EVENTS')).state.messages, 2);
  });
});
