/**
 * A worker's evidence store: each artifact goes into the bus's object store under its SHA-256, and an
 * envelope tells the controller, which fetches it, hashes it again and stores it in the run's evidence
 * store with the whole custody path (host → worker → controller). Only the controller's store signs.
 * Objects a step needs back (restore uploads a backup) are fetched from the object store and checked.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ObjectStore } from '@nats-io/obj';
import { hashFile, type ArtifactInput, type EvidenceTarget, type HostRecord } from '../evidence/index.js';
import type { Artifact } from '../evidence/index.js';
import type { EnvelopePublisher } from './publisher.js';
import type { WorkerId } from './envelope.js';

const SHA256 = /^[0-9a-f]{64}$/;

export class RelayedEvidence implements EvidenceTarget {
  private readonly recorded = new Set<string>();

  constructor(
    /** The worker's own directory for this run (spill files, fetched objects). */
    readonly runDir: string,
    private readonly objects: ObjectStore,
    private readonly publisher: EnvelopePublisher,
    private readonly worker: WorkerId,
  ) {}

  hasHostRecord(host: string): boolean {
    return this.recorded.has(host);
  }

  recordHost(record: HostRecord): void {
    this.recorded.add(record.host);
    this.publisher.send(undefined, { kind: 'host-record', record });
  }

  async addFile(input: ArtifactInput, path: string): Promise<Artifact> {
    const { sha256, size } = await hashFile(path);
    await this.putObject(sha256, () => Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>);
    return this.relay(input, sha256, size);
  }

  async addBytes(input: ArtifactInput, data: Buffer | Uint8Array | string): Promise<Artifact> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (!(await this.objects.info(sha256))) await this.objects.putBlob({ name: sha256 }, bytes);
    return this.relay(input, sha256, bytes.length);
  }

  async objectFile(sha256: string): Promise<string> {
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    const dir = join(this.runDir, 'objects');
    const file = join(dir, sha256);
    if (existsSync(file)) return file;
    const result = await this.objects.get(sha256);
    if (!result) throw new Error(`evidence object ${sha256} is not in the bus's object store`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    const hash = createHash('sha256');
    const out = await open(tmp, 'wx', 0o600);
    try {
      for await (const chunk of Readable.fromWeb(result.data as WebReadableStream<Uint8Array>)) {
        hash.update(chunk as Buffer);
        await out.write(chunk as Buffer);
      }
    } finally {
      await out.close();
    }
    await result.error;
    if (hash.digest('hex') !== sha256) {
      rmSync(tmp, { force: true });
      throw new Error(`evidence object ${sha256} arrived changed from the bus`);
    }
    renameSync(tmp, file);
    return file;
  }

  private async putObject(sha256: string, content: () => ReadableStream<Uint8Array>): Promise<void> {
    // Content-addressed: the same bytes from another host or an earlier delivery are there already.
    if (await this.objects.info(sha256)) return;
    await this.objects.put({ name: sha256 }, content());
  }

  private async relay(input: ArtifactInput, sha256: string, size: number): Promise<Artifact> {
    const raw = await input.sha256AtSource;
    const sha256AtSource = raw === undefined || raw === null ? null : String(raw).trim().toLowerCase();
    const ref = `relay-${randomBytes(8).toString('hex')}`;
    const { startedAt, ...acquisition } = input.acquisition ?? { startedAt: undefined };
    const collectedAt = startedAt ?? new Date().toISOString();
    this.publisher.send(undefined, {
      kind: 'evidence',
      ref,
      object: sha256,
      size,
      input: {
        host: input.host,
        step: input.step,
        source: { kind: input.source.kind, value: input.source.value },
        sha256AtSource,
        ...(input.acquisition ? { acquisition: { ...acquisition, startedAt: collectedAt } } : {}),
      },
    });
    return {
      id: ref,
      host: input.host,
      step: input.step,
      source: input.source,
      size,
      sha256AtRest: sha256,
      sha256AtSource,
      match: sha256AtSource === null ? null : sha256AtSource === sha256,
      collectedAt,
      collector: { user: this.worker.user, machine: this.worker.machine },
    };
  }
}

/** Remove a worker's directory for a run when the host-phase is done (its files went to the controller). */
export function removeWorkDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
