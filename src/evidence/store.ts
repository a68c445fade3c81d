/**
 * The evidence store of one run: content-addressed artifacts, a custody log, a signed manifest.
 *
 * Layout (directories 0700, sealed files 0400, the custody log 0600):
 *
 *   <runDir>/evidence/
 *     objects/<first 2 hex>/<sha256>  artifact bytes, named by their SHA-256; same content = one object
 *     tmp/                            writes in progress (a crash may leave files here; they are not evidence)
 *     custody.jsonl                   every action on evidence, one JSON line each, append-only
 *     manifest.json                   every artifact: host, step, source, size, SHA-256 at source and at rest,
 *                                     match, collected-at (UTC), collector; and the rest of the run directory
 *                                     (journal chain head, step outputs, summary, incident): see run-files.ts;
 *                                     written at finalize(), which the engine calls as the run's very last write
 *     manifest.sig                    base64 Ed25519 signature over the exact bytes of manifest.json
 *     manifest.pub.pem                the public key that checks it (SPKI PEM)
 *
 * Write order, so that a crash at any point leaves no entry pointing at a missing object: bytes stream
 * into `tmp/` while being hashed (bounded memory), are fsynced, renamed into `objects/` (atomic), and
 * only then is the `stored` custody line (which carries the full manifest entry) appended. The manifest
 * is built from those lines at `finalize()`, so reopening a crashed run's store resumes where it was.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, createReadStream, existsSync, lstatSync, mkdirSync } from 'node:fs';
import { chmod, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { actorOf, CustodyLog, localCollector, readCustody, storedArtifacts } from './custody.js';
import { defaultKeyringDir, recordSigningKey } from './keyring.js';
import {
  DIR_MODE,
  evidencePaths,
  fsyncPath,
  hashFile,
  isSha256Hex,
  LOG_FILE_MODE,
  objectRelPath,
  SEALED_FILE_MODE,
  sha256Hex,
  writeFileAtomic,
  type EvidencePaths,
} from './layout.js';
import {
  artifactId,
  artifactSeq,
  MANIFEST_FORMAT,
  serializeManifest,
  type Acquisition,
  type Artifact,
  type ArtifactSource,
  type CaseRecord,
  type Collector,
  type HostRecord,
  type RelayHop,
  type Manifest,
} from './manifest.js';
import { sealRunFiles } from './run-files.js';
import {
  generateRunKey,
  loadSigningKey,
  publicKeyFingerprint,
  publicKeyPem,
  signManifest,
  type SigningKey,
} from './signing.js';

export interface EvidenceStoreOptions {
  /** Sign with this Ed25519 private key (PEM) instead of a key made for the run. Loaded at open(), so a bad key fails before anything is collected. */
  signingKeyFile?: string;
  signingKeyPassphrase?: string;
  /** Who collects (default: this process's user and machine name). */
  collector?: Collector;
  /** Clock (default: the system clock). */
  now?: () => Date;
  /** fsync objects, their directories and the manifest (default true; tests may turn it off). */
  fsync?: boolean;
  /** Where the signing key's public half is recorded (default: keyring.ts `defaultKeyringDir()`). */
  keyringDir?: string;
  /** The case record the manifest carries (case id, examiner, version, runbook digest). */
  caseRecord?: CaseRecord;
}

/** What the caller knows about an artifact before storing it. */
export interface ArtifactInput {
  host: string;
  step: string;
  source: ArtifactSource;
  /**
   * SHA-256 (hex) the host computed. A promise is awaited after the bytes are stored, for hashes that
   * arrive at the end of the same command (`cmd | tee >(sha256sum >&2)`). A value that is not a hex
   * digest counts as a mismatch, not an error: a host under attack may print anything.
   */
  sha256AtSource?: string | null | PromiseLike<string | null | undefined>;
  /** How the collecting command ran, and when it began (then `collectedAt`). */
  acquisition?: Acquisition & { startedAt?: string };
  /** The worker that relayed it (distributed runs): the custody path goes through it. */
  relay?: RelayHop;
}

export interface FinalizeResult {
  artifacts: number;
  manifestPath: string;
  signaturePath: string;
  publicKeyPath: string;
  publicKeySha256: string;
  key: 'run' | 'file';
  /** The keyring file of the public key, or why it could not be recorded (verify will not trust it here). */
  keyring: { file: string } | { error: string };
}

type Chunk = Buffer | Uint8Array | string;

/** What a run's steps need of an evidence store; a worker's relays to the controller's store instead. */
export interface EvidenceTarget {
  readonly runDir: string;
  hasHostRecord(host: string): boolean;
  recordHost(record: HostRecord): void;
  addFile(input: ArtifactInput, path: string): Promise<Artifact>;
  addBytes(input: ArtifactInput, data: Chunk): Promise<Artifact>;
  /** A local file holding the object with this SHA-256 (restore uploads a backup from it). */
  objectFile(sha256: string): Promise<string>;
}

function ownerOnlyDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: DIR_MODE });
  if (lstatSync(path).isSymbolicLink())
    throw new Error(`${path} is a symbolic link; refusing to store evidence through it`);
  // mkdir's mode is filtered by the umask and ignored for existing directories.
  chmodSync(path, DIR_MODE);
}

export class EvidenceStore implements EvidenceTarget {
  private readonly list: Artifact[];
  private seq: number;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly hosts = new Map<string, HostRecord>();
  private state: 'open' | 'finalized' | 'closed' = 'open';

  private constructor(
    readonly runDir: string,
    readonly paths: EvidencePaths,
    private readonly custody: CustodyLog,
    private readonly collector: Collector,
    private readonly now: () => Date,
    private readonly fsync: boolean,
    private readonly fileKey: SigningKey | undefined,
    private readonly keyringDir: string,
    resumed: Artifact[],
    private readonly caseRecord: CaseRecord | undefined,
  ) {
    this.list = resumed;
    this.seq = resumed.reduce((max, a) => Math.max(max, artifactSeq(a.id)), 0);
  }

  /** Create (or reopen, after a crash or for a resumed run) `<runDir>/evidence/`. */
  static async open(runDir: string, options: EvidenceStoreOptions = {}): Promise<EvidenceStore> {
    const fileKey = options.signingKeyFile
      ? loadSigningKey(options.signingKeyFile, options.signingKeyPassphrase)
      : undefined;
    const paths = evidencePaths(runDir);
    for (const d of [paths.root, paths.objects, paths.tmp]) ownerOnlyDir(d);
    const resumed = existsSync(paths.custody) ? storedArtifacts(readCustody(paths.custody).events) : [];
    const collector = options.collector ?? localCollector();
    const now = options.now ?? (() => new Date());
    const custody = new CustodyLog(paths.custody, actorOf(collector), now, LOG_FILE_MODE);
    custody.record({ action: 'opened', runId: basename(runDir), artifacts: resumed.length });
    const keyring = options.keyringDir ?? defaultKeyringDir();
    const fsync = options.fsync ?? true;
    return new EvidenceStore(
      runDir,
      paths,
      custody,
      collector,
      now,
      fsync,
      fileKey,
      keyring,
      resumed,
      options.caseRecord,
    );
  }

  /** Whether the host's acquisition record is in (one per host and run). */
  hasHostRecord(host: string): boolean {
    return this.hosts.has(host);
  }

  /** Keep what a host said of itself at its first collection, for the signed manifest. */
  recordHost(record: HostRecord): void {
    this.hosts.set(record.host, record);
  }

  /** The artifacts stored so far (resumed ones included), in the order they were stored. */
  get artifacts(): readonly Artifact[] {
    return this.list;
  }

  /** Absolute path of an artifact's object. */
  objectPath(sha256: string): string {
    return join(this.paths.root, objectRelPath(sha256));
  }

  async objectFile(sha256: string): Promise<string> {
    return this.objectPath(sha256);
  }

  /** Store a stream (a command's stdout, a fetched file) with bounded memory. */
  addStream(input: ArtifactInput, stream: AsyncIterable<Chunk>): Promise<Artifact> {
    return this.track(this.ingest(input, () => stream));
  }

  /** Store bytes already in memory (a short command output). */
  addBytes(input: ArtifactInput, data: Chunk): Promise<Artifact> {
    return this.track(this.ingest(input, () => [data]));
  }

  /** Store a copy of a file already on this machine (e.g. an output the engine spilled to disk). */
  addFile(input: ArtifactInput, path: string): Promise<Artifact> {
    return this.track(this.ingest(input, () => createReadStream(path)));
  }

  /**
   * Wait for adds in flight, seal the run directory's files (the journal must be complete by now),
   * write `manifest.json`, sign it, write the public key, record the key in the keyring and it all in
   * the custody log, and close the store. A key made for the run is dropped when this returns.
   */
  async finalize(): Promise<FinalizeResult> {
    this.assertOpen();
    this.state = 'finalized';
    await Promise.allSettled([...this.pending]);
    this.custody.sync();
    const custodyDigest = await hashFile(this.paths.custody);
    const run = await sealRunFiles(this.runDir);
    const key = this.fileKey ?? generateRunKey();
    const publicKeySha256 = publicKeyFingerprint(key.publicKey);
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      runId: basename(this.runDir),
      finalizedAt: this.now().toISOString(),
      finalizedBy: this.collector,
      artifacts: this.list,
      custody: { bytes: custodyDigest.size, sha256: custodyDigest.sha256 },
      signing: { algorithm: 'ed25519', publicKeySha256, key: key.key },
      journal: run.journal,
      files: run.files,
      ...(this.caseRecord ? { case: this.caseRecord } : {}),
      ...(this.hosts.size
        ? { hosts: [...this.hosts.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0)) }
        : {}),
    };
    const bytes = serializeManifest(manifest);
    const { root, tmp } = this.paths;
    writeFileAtomic(this.paths.publicKey, publicKeyPem(key.publicKey), tmp, SEALED_FILE_MODE, this.fsync);
    writeFileAtomic(this.paths.manifest, bytes, tmp, SEALED_FILE_MODE, this.fsync);
    writeFileAtomic(this.paths.signature, signManifest(bytes, key), tmp, SEALED_FILE_MODE, this.fsync);
    if (this.fsync) fsyncPath(root);
    const keyring = recordSigningKey(this.keyringDir, key.publicKey);
    this.custody.record({
      action: 'signed',
      manifestSha256: sha256Hex(bytes),
      publicKeySha256,
      key: key.key,
      ...(key.file ? { keyFile: key.file } : {}),
      artifacts: this.list.length,
      ...('error' in keyring ? { keyringError: keyring.error } : { keyring: keyring.file }),
    });
    this.custody.close();
    return {
      artifacts: this.list.length,
      manifestPath: this.paths.manifest,
      signaturePath: this.paths.signature,
      publicKeyPath: this.paths.publicKey,
      publicKeySha256,
      key: key.key,
      keyring,
    };
  }

  /** Close without signing (the run is abandoned; reopening resumes it). */
  close(): void {
    if (this.state === 'open') this.state = 'closed';
    this.custody.close();
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`evidence store ${this.paths.root} is ${this.state}`);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const done = () => this.pending.delete(p);
    p.then(done, done);
    return p;
  }

  private async ingest(input: ArtifactInput, content: () => AsyncIterable<Chunk> | Iterable<Chunk>): Promise<Artifact> {
    this.assertOpen();
    checkInput(input);
    const collectedAt = input.acquisition?.startedAt ?? this.now().toISOString();
    // Settled later; a rejection while the bytes are still streaming must not count as unhandled.
    const sourceHashLater = Promise.resolve(input.sha256AtSource);
    sourceHashLater.catch(() => undefined);
    const tmp = join(this.paths.tmp, `object-${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      const { sha256, size } = await this.writeTemp(tmp, content());
      const sourceHash = normalizeSourceHash(await sourceHashLater);
      const deduplicated = await this.placeObject(tmp, sha256);
      const artifact: Artifact = {
        id: artifactId(++this.seq),
        host: input.host,
        step: input.step,
        source: { kind: input.source.kind, value: input.source.value },
        size,
        sha256AtRest: sha256,
        sha256AtSource: sourceHash,
        match: sourceHash === null ? null : sourceHash === sha256,
        collectedAt,
        collector: this.collector,
        ...(input.acquisition ? { acquisition: acquisitionOf(input.acquisition) } : {}),
        ...(input.relay ? { relay: { ...input.relay } } : {}),
      };
      // The object is in place before this line exists: no entry ever points at a missing object.
      this.custody.record({ action: 'stored', artifact, deduplicated });
      if (artifact.match === false) {
        this.custody.record({
          action: 'mismatch',
          id: artifact.id,
          host: artifact.host,
          source: artifact.source,
          sha256AtRest: sha256,
          sha256AtSource: sourceHash,
        });
      }
      this.list.push(artifact);
      return artifact;
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      if (this.state !== 'closed') {
        this.custody.record({
          action: 'store_failed',
          host: input.host,
          step: input.step,
          source: input.source,
          error: (err as Error).message,
        });
      }
      throw err;
    }
  }

  /** Stream into a new temp file, hashing on the way; one chunk in memory at a time. */
  private async writeTemp(
    tmp: string,
    content: AsyncIterable<Chunk> | Iterable<Chunk>,
  ): Promise<{ sha256: string; size: number }> {
    // Start reading before the first await: a stream failing while the temp file opens (a missing
    // file, a closed channel) must reject this add, not crash the process with an unhandled 'error'.
    const chunks = Symbol.asyncIterator in content ? content[Symbol.asyncIterator]() : content[Symbol.iterator]();
    const first = Promise.resolve(chunks.next());
    first.catch(() => undefined);
    const hash = createHash('sha256');
    let size = 0;
    try {
      const fh = await open(tmp, 'wx', 0o600);
      try {
        for (let r = await first; !r.done; r = await chunks.next()) {
          const chunk = r.value;
          const buf =
            typeof chunk === 'string'
              ? Buffer.from(chunk, 'utf8')
              : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          hash.update(buf);
          size += buf.length;
          for (let off = 0; off < buf.length;) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
        }
        if (this.fsync) await fh.sync();
        await fh.chmod(SEALED_FILE_MODE);
      } finally {
        await fh.close();
      }
    } catch (err) {
      // Stop the source (destroys a stream) so nothing keeps reading for an add that failed.
      await Promise.resolve(chunks.return?.()).catch(() => undefined);
      throw err;
    }
    return { sha256: hash.digest('hex'), size };
  }

  /** Move the temp file to its object path; returns true when that content was already stored. */
  private async placeObject(tmp: string, sha256: string): Promise<boolean> {
    const target = this.objectPath(sha256);
    const dir = dirname(target);
    const exists = await stat(target).then(
      () => true,
      () => false,
    );
    if (exists) {
      // Keep the object as it is: if it was tampered with, verify must still see that.
      await unlink(tmp);
      return true;
    }
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    await chmod(dir, DIR_MODE);
    await rename(tmp, target);
    if (this.fsync) fsyncPath(dir);
    return false;
  }
}

function checkInput(input: ArtifactInput): void {
  const bad = (what: string) => new TypeError(`evidence: ${what} (got ${JSON.stringify(input)})`);
  if (typeof input.host !== 'string' || !input.host) throw bad('host must be a non-empty string');
  if (typeof input.step !== 'string' || !input.step) throw bad('step must be a non-empty string');
  if (input.source?.kind !== 'command' && input.source?.kind !== 'file')
    throw bad("source.kind must be 'command' or 'file'");
  if (typeof input.source.value !== 'string' || !input.source.value)
    throw bad('source.value must be a non-empty string');
}

/** Lowercase hex, surrounding white space trimmed; anything else is kept as given (and cannot match). */
function normalizeSourceHash(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const v = String(value).trim().toLowerCase();
  return isSha256Hex(v) ? v : String(value);
}

/** The stored form of an acquisition: its fields only, stderr capped so a chatty command cannot bloat the manifest. */
function acquisitionOf(a: Acquisition): Acquisition {
  const stderr = a.stderr.length > 4096 ? `${a.stderr.slice(0, 4096)}… (${a.stderr.length} characters)` : a.stderr;
  return {
    durationMs: a.durationMs,
    exitCode: a.exitCode,
    signal: a.signal,
    timedOut: a.timedOut,
    truncated: a.truncated,
    stderr,
    ...(a.bytesAtSource !== undefined ? { bytesAtSource: a.bytesAtSource } : {}),
    ...(a.become ? { become: a.become } : {}),
    ...(a.file ? { file: a.file } : {}),
  };
}
