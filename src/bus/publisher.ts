/**
 * A worker's envelopes to the controller, published in order on the run's events subject with a
 * message id each. Ids are deterministic where a takeover may publish the same thing again (a step's
 * end, a finding, the host-phase's end): JetStream's duplicate window and the controller's own check
 * keep one. Output lines and evidence carry the delivery number, so what a dead worker sent is kept
 * beside what its successor sent (evidence is never thrown away).
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import type { PhaseName } from '../core/index.js';
import type { EventInput } from '../engine/host-runner.js';
import type { Envelope, WorkerId } from './envelope.js';

/** Without an answer from the server for this long, a publish is tried again (same id: stored once). */
const PUBLISH_TIMEOUT_MS = 10_000;
/** A worker that cannot publish for this long gives the host-phase up (it is delivered again later). */
const PUBLISH_GIVE_UP_MS = 5 * 60_000;

type Body = Envelope extends infer E
  ? E extends Envelope
    ? Omit<E, 'id' | 'worker' | 'host' | 'phase'>
    : never
  : never;

export class EnvelopePublisher {
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private seq = 0;
  private findings = new Map<number, number>();
  private current = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly subject: string,
    private readonly runId: string,
    private readonly host: string,
    private readonly phase: PhaseName,
    private readonly delivery: number,
    private readonly worker: WorkerId,
    /** Secrets out of everything that leaves the worker (applied to the serialized envelope). */
    private readonly redact: (text: string) => string,
  ) {}

  /** Every id of this host-phase starts with it. */
  private get prefix(): string {
    return `${this.runId}/${this.host}/${this.phase}`;
  }

  event(event: EventInput): void {
    this.send(this.eventId(event), { kind: 'event', event });
  }

  /** Anything but an event: evidence, files, the host record (delivery-scoped) or the result (once). */
  send(id: string | undefined, body: Body): void {
    const envelope = {
      id: id ?? `${this.prefix}/d${this.delivery}/${++this.seq}`,
      worker: this.worker,
      host: this.host,
      phase: this.phase,
      ...body,
    };
    const data = this.redact(JSON.stringify(envelope));
    this.chain = this.chain.then(() => (this.failure ? undefined : this.publish(envelope.id, data)));
  }

  /** The id of the host-phase's result, the same for every delivery. */
  resultId(): string {
    return `${this.prefix}/result`;
  }

  /** Resolves when everything sent so far is stored; rejects once a publish gave up. */
  async flush(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
  }

  private eventId(e: EventInput): string | undefined {
    switch (e.type) {
      case 'step.started':
        this.current = e.index;
        return undefined;
      case 'step.finished':
      case 'step.skipped':
        return `${this.prefix}/${e.type}/${e.index ?? e.step}`;
      case 'finding': {
        const n = (this.findings.get(this.current) ?? 0) + 1;
        this.findings.set(this.current, n);
        return `${this.prefix}/finding/${this.current}/${n}`;
      }
      case 'host.failed':
      case 'host.unreachable':
      case 'host.ended':
      case 'host.finished':
        return `${this.prefix}/${e.type}`;
      default:
        return undefined;
    }
  }

  private async publish(id: string, data: string): Promise<void> {
    const start = Date.now();
    for (;;) {
      try {
        await this.js.publish(this.subject, data, { msgID: id, timeout: PUBLISH_TIMEOUT_MS });
        return;
      } catch (err) {
        if (Date.now() - start > PUBLISH_GIVE_UP_MS) {
          this.failure = new Error(
            `cannot publish to the bus for ${PUBLISH_GIVE_UP_MS / 1000} s: ${(err as Error).message}`,
          );
          return;
        }
        // The server is restarting or the link is down: the client reconnects; try again soon.
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }
}
