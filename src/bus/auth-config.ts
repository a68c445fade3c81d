/**
 * The NATS hub's `authorization` block for a distributed run: the controller may do everything; each
 * segment's user (its workers, or its leaf node's link) only what a worker needs: pull its own
 * segment's work, publish events, read and write step records, read run inputs, put and get evidence
 * objects, hear its runs' stop/abort, and receive replies on its own inbox prefix. Measured against
 * nats-server 2.9 with nats.js 3.3 (test/integration/nats-harness.test.ts): KV reads use STREAM.MSG.GET
 * there (DIRECT.GET on newer servers), an object get creates an ordered consumer on the bucket's stream,
 * and clients of a leaf node reach the hub's JetStream as `$JS.<domain>.API`. Not granted: creating
 * work, purging or deleting anything. Known gap: a segment may write any step record key.
 */
import {
  EVIDENCE_BUCKET,
  RUNS_BUCKET,
  STEPS_BUCKET,
  WORK_STREAM,
  workConsumer,
  checkSegment,
  segmentInbox,
} from './names.js';

/** A user with a password (a literal, or `$VAR` for nats-server to read from its environment), or an NKEY. */
export type NatsUser = { user: string; password: string } | { nkey: string };

export interface AuthConfigSpec {
  controller: NatsUser;
  segments: Record<string, NatsUser>;
  /** The hub's JetStream domain (default `hub`). */
  domain?: string;
}

export const DEFAULT_DOMAIN = 'hub';

export function segmentPermissions(
  segment: string,
  domain = DEFAULT_DOMAIN,
): { publish: string[]; subscribe: string[] } {
  checkSegment(segment, 'segment');
  const consumer = workConsumer(segment);
  const kv = `KV_${STEPS_BUCKET}`;
  const runs = `KV_${RUNS_BUCKET}`;
  const obj = `OBJ_${EVIDENCE_BUCKET}`;
  const api = (p: string): string[] => [
    `${p}.INFO`,
    // the segment's own work: consumer info and pulls
    `${p}.CONSUMER.INFO.${WORK_STREAM}.${consumer}`,
    `${p}.CONSUMER.MSG.NEXT.${WORK_STREAM}.${consumer}`,
    // step records and run inputs: bucket info and reads
    ...[kv, runs].flatMap((s) => [
      `${p}.STREAM.INFO.${s}`,
      `${p}.DIRECT.GET.${s}`,
      `${p}.DIRECT.GET.${s}.>`,
      `${p}.STREAM.MSG.GET.${s}`,
    ]),
    // evidence: bucket info, meta reads, the ordered consumer an object get reads its chunks with
    `${p}.STREAM.INFO.${obj}`,
    `${p}.DIRECT.GET.${obj}`,
    `${p}.DIRECT.GET.${obj}.>`,
    `${p}.STREAM.MSG.GET.${obj}`,
    `${p}.CONSUMER.CREATE.${obj}`,
    `${p}.CONSUMER.CREATE.${obj}.>`,
  ];
  return {
    publish: [
      ...api('$JS.API'),
      ...api(`$JS.${domain}.API`),
      `$JS.ACK.${WORK_STREAM}.${consumer}.>`,
      'fb.events.>',
      // liveness of running host-phases (core NATS, not stored)
      'fb.beat.>',
      `$KV.${STEPS_BUCKET}.>`,
      `$JS.${domain}.API.$KV.${STEPS_BUCKET}.>`,
      `$O.${EVIDENCE_BUCKET}.>`,
    ],
    // replies, and the controller's stop/abort of a run
    subscribe: [`${segmentInbox(segment)}.>`, 'fb.control.>'],
  };
}

/** The hub's `authorization { users = [...] }` block. */
export function authConfig(spec: AuthConfigSpec): string {
  const q = (s: string): string => (s.startsWith('$') ? s : JSON.stringify(s));
  const user = (u: NatsUser): string =>
    'nkey' in u ? `nkey: ${JSON.stringify(u.nkey)}` : `user: ${JSON.stringify(u.user)}, password: ${q(u.password)}`;
  const list = (xs: string[]): string => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
  const lines = ['authorization {', '  users = [', `    { ${user(spec.controller)} }`];
  for (const [segment, u] of Object.entries(spec.segments)) {
    const perms = segmentPermissions(segment, spec.domain);
    lines.push(
      `    { ${user(u)}, permissions: {`,
      `        publish: { allow: ${list(perms.publish)} }`,
      `        subscribe: { allow: ${list(perms.subscribe)} }`,
      '    } }',
    );
  }
  lines.push('  ]', '}');
  return lines.join('\n');
}
