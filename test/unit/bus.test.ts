/**
 * The pure parts of the distributed mode: names safe for subjects and keys, the per-segment
 * permissions, work units checked on arrival, and which envelope ids repeat across deliveries
 * (a takeover's step ends and findings: stored once) and which do not (output, evidence: kept).
 */
import assert from 'node:assert/strict';
import type { JetStreamClient } from '@nats-io/jetstream';
import { segmentPermissions } from '../../src/bus/auth-config.js';
import { parseWorkUnit, WORK_FORMAT } from '../../src/bus/envelope.js';
import { checkSegment, stepKey, token } from '../../src/bus/names.js';
import { EnvelopePublisher } from '../../src/bus/publisher.js';
import { InputError } from '../../src/core/index.js';

/** A publisher whose JetStream client only records what it was given. */
function recording(delivery: number): { pub: EnvelopePublisher; sent: Array<{ id: string; data: string }> } {
  const sent: Array<{ id: string; data: string }> = [];
  const js = {
    publish: async (_subject: string, data: string, o: { msgID: string }) => {
      sent.push({ id: o.msgID, data });
      return { seq: sent.length, duplicate: false };
    },
  } as unknown as JetStreamClient;
  const worker = { name: 'w', user: 'u', machine: 'm', segment: 'a' };
  const pub = new EnvelopePublisher(js, 'fb.events.x', 'run1', 'h1', 'collect', delivery, worker, (t) =>
    t.replaceAll('hunter2', '********'),
  );
  return { pub, sent };
}

describe('bus', () => {
  it('names: host names and run ids become subject/key tokens of safe characters only', () => {
    for (const s of ['n001', '10.0.0.1', 'weird host/../*>', 'ünï', '']) assert.match(token(s), /^[A-Za-z0-9_-]+$/, s);
    assert.notEqual(token('N003'), token('n003'));
    assert.match(stepKey('run 1', 'h.1', 3), /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.s3$/);
  });

  it('segments: a name that is not one subject token is an input error naming where it came from', () => {
    assert.equal(checkSegment('eu-west_1', 'x'), 'eu-west_1');
    for (const bad of ['a.b', 'a b', '*', '>', '', 'x'.repeat(65)])
      assert.throws(
        () => checkSegment(bad, 'host n1 (firebreak_segment)'),
        (e: unknown) => {
          return e instanceof InputError && /host n1 \(firebreak_segment\)/.test(e.message);
        },
      );
  });

  it('permissions: a segment user may pull and ack only its own work consumer', () => {
    const { publish, subscribe } = segmentPermissions('a');
    assert.ok(publish.includes('$JS.API.CONSUMER.MSG.NEXT.FIREBREAK_WORK.work-a'));
    assert.ok(publish.includes('$JS.hub.API.CONSUMER.MSG.NEXT.FIREBREAK_WORK.work-a'));
    assert.ok(
      !publish.some((p) => p.includes('work-b') || p.startsWith('fb.work')),
      'no other segment, no work creation',
    );
    assert.ok(!publish.some((p) => /PURGE|DELETE/.test(p)), 'no purge or delete');
    assert.deepEqual(subscribe, ['_INBOX_a.>', 'fb.control.>']);
  });

  it('work units: checked on arrival, a bad one is refused', () => {
    const unit = {
      format: WORK_FORMAT,
      runId: 'r',
      segment: 'a',
      host: { name: 'h', vars: {}, groups: [] },
      phase: 'collect',
      indexes: [1, 2],
      registered: {},
    };
    assert.deepEqual(parseWorkUnit(Buffer.from(JSON.stringify(unit))), unit);
    for (const bad of [{ ...unit, phase: 'reboot' }, { ...unit, indexes: [0] }, { ...unit, format: 99 }, 'x'])
      assert.throws(() => parseWorkUnit(Buffer.from(JSON.stringify(bad))));
  });

  it('envelope ids: step ends, findings and the result repeat across deliveries; output and evidence do not', async () => {
    const ids = async (delivery: number): Promise<string[]> => {
      const { pub, sent } = recording(delivery);
      pub.event({ type: 'step.started', host: 'h1', phase: 'collect', step: 's', index: 2, commands: [] });
      pub.event({ type: 'step.output', host: 'h1', phase: 'collect', step: 's', stream: 'stdout', text: 'x' });
      pub.event({
        type: 'finding',
        host: 'h1',
        phase: 'collect',
        step: 's',
        finding: { kind: 'k', severity: 'high', summary: 'y' } as never,
      });
      pub.event({
        type: 'step.finished',
        host: 'h1',
        phase: 'collect',
        step: 's',
        index: 2,
        outcome: { status: 'ok', durationMs: 1 },
      });
      pub.send(pub.resultId(), { kind: 'result', state: 'ok', registered: {} });
      await pub.flush();
      return sent.map((s) => s.id);
    };
    const [first, second] = [await ids(1), await ids(2)];
    assert.equal(first.length, 5);
    assert.notEqual(first[0], second[0], 'step.started: a rerun shows');
    assert.notEqual(first[1], second[1], 'output lines are kept from both');
    assert.deepEqual(first.slice(2), second.slice(2), 'finding, step end, result: one each');
  });

  it('envelopes are redacted before they leave the worker', async () => {
    const { pub, sent } = recording(1);
    pub.event({ type: 'step.output', host: 'h1', phase: 'collect', step: 's', stream: 'stdout', text: 'pw hunter2' });
    await pub.flush();
    assert.ok(!sent[0]!.data.includes('hunter2'));
    assert.match(sent[0]!.data, /\*{8}/);
  });
});
