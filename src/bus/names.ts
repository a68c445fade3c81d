/**
 * The names firebreak uses on NATS JetStream, in one place: streams, consumers, buckets, subjects and
 * keys. Subject tokens and KV keys allow only a few characters, so anything that comes from an
 * inventory (host names, run ids) is encoded before it becomes part of one.
 */
import { InputError, type Host } from '../core/index.js';

/** Work units, one subject per segment; a work queue: each message goes to one worker. */
export const WORK_STREAM = 'FIREBREAK_WORK';
/** Events (and evidence, host records, results) from workers, one subject per run. */
export const EVENTS_STREAM = 'FIREBREAK_EVENTS';
/** Step records, compare-and-set: who runs or ran a (run, host, step). */
export const STEPS_BUCKET = 'FIREBREAK_STEPS';
/** What each run was started with (runbook as loaded, params, options; never a secret). */
export const RUNS_BUCKET = 'FIREBREAK_RUNS';
/** Evidence files and output files on their way to the controller, named by SHA-256. */
export const EVIDENCE_BUCKET = 'FIREBREAK_EVIDENCE';

/** The inventory variable that routes a host to a segment's workers. */
export const SEGMENT_VAR = 'firebreak_segment';

const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;

/** A segment name as given by `--segment` or an inventory: one subject token, checked. */
export function checkSegment(segment: string, where: string): string {
  if (!SEGMENT.test(segment))
    throw new InputError(
      `${where}: segment "${segment}" is not a valid name (letters, digits, '-' and '_', at most 64)`,
    );
  return segment;
}

export const workSubject = (segment: string): string => `fb.work.${segment}`;
export const workConsumer = (segment: string): string => `work-${segment}`;
export const eventsSubject = (runId: string): string => `fb.events.${token(runId)}`;
/** Core NATS (not stored): the controller tells the workers of a run to stop or abort. */
export const controlSubject = (runId: string): string => `fb.control.${token(runId)}`;

/** A string as a subject token or KV key part: base64url, which uses only characters both allow. */
export function token(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url') || '_';
}

export const runKey = (runId: string): string => token(runId);
export const stepKey = (runId: string, host: string, index: number): string =>
  `${token(runId)}.${token(host)}.s${index}`;
/** The claim on a host-phase: the worker running it, or the controller that gave up waiting. */
export const claimKey = (runId: string, host: string, phase: string): string =>
  `${token(runId)}.${token(host)}.${phase}`;
/** Core NATS (not stored): a worker's sign of life for each host-phase it runs. */
export const beatSubject = (runId: string): string => `fb.beat.${token(runId)}`;

/** The segment a host is routed to, or undefined: it runs on the controller. */
export function segmentOf(host: Host): string | undefined {
  const v = host.vars[SEGMENT_VAR];
  if (v === undefined || v === null || v === '') return undefined;
  return checkSegment(String(v), `host ${host.name} (${SEGMENT_VAR})`);
}

/** The password environment variable the CLI reads (`--nats-user` gives the name). */
export const NATS_PASSWORD_ENV = 'FIREBREAK_NATS_PASSWORD';

/** The inbox prefix of a segment's clients: per-segment permissions let each receive replies only there. */
export const segmentInbox = (segment: string): string => `_INBOX_${segment}`;
