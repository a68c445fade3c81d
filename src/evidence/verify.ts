/**
 * `verifyEvidence`: re-hash every object, check every manifest entry against it, check the manifest
 * signature and the custody log as it was at signing, and list every problem with the artifact it
 * concerns. Nothing is trusted from the files being checked except to name things: object paths are
 * rebuilt from validated hex digests only, and the signature covers the manifest's exact bytes.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InputError } from '../core/index.js';
import { actorOf, CustodyLog, localCollector, readCustody, storedArtifacts } from './custody.js';
import {
  DIR_MODE,
  evidencePaths,
  hashFile,
  isSha256Hex,
  LOG_FILE_MODE,
  objectRelPath,
  type EvidencePaths,
} from './layout.js';
import { isArtifactShape, parseManifest, type Artifact, type Collector, type Manifest } from './manifest.js';
import { checkSignature, loadPublicKey, publicKeyFingerprint, publicKeyPem } from './signing.js';

/** What can be wrong. `error`s make the evidence invalid; `warning`s are worth knowing but prove nothing false. */
export type ProblemCode =
  | 'manifest-missing' // never finalized (a crashed run): entries come from the custody log, nothing is signed
  | 'manifest-unreadable' // not JSON or not a manifest
  | 'entry-malformed' // an entry lacks fields or has an impossible digest
  | 'object-missing' // an entry's object is not there
  | 'size-mismatch' // the object's size differs from the entry's
  | 'hash-mismatch' // the object's bytes do not hash to the entry's SHA-256
  | 'source-mismatch' // marked at collection: the host's hash and the controller's differ
  | 'signature-missing'
  | 'signature-invalid' // the signature does not match the manifest bytes with the key used
  | 'public-key-missing'
  | 'public-key-invalid' // the stored key cannot be read, was altered, or is not the key the manifest names
  | 'custody-missing'
  | 'custody-altered' // the custody log's lines up to signing do not hash to what the manifest recorded
  | 'custody-unreadable' // lines that are not custody events
  | 'object-unlisted' // an object no entry refers to (warning: e.g. a crash between storing and logging)
  | 'stray-file' // an unexpected file in the store, or a write a crash left in tmp/ (warning)
  | 'permissions' // a directory readable by others (warning)
  | 'not-recorded'; // the verification could not be written to the custody log (warning)

export interface EvidenceProblem {
  code: ProblemCode;
  severity: 'error' | 'warning';
  message: string;
  /** The artifact concerned, when there is one. */
  artifact?: Pick<Artifact, 'id' | 'host' | 'step' | 'source'>;
  /** The file concerned, relative to the run directory. */
  file?: string;
}

/** Which public key checked the signature. A stored key proves integrity since signing, not origin. */
export interface KeyUsed {
  source: 'given' | 'stored';
  file: string;
  sha256: string;
}

export interface VerifyResult {
  /** No error-severity problem. */
  ok: boolean;
  runDir: string;
  /** Where the list of artifacts came from (`custody` when the run was never finalized). */
  artifactsFrom: 'manifest' | 'custody' | 'none';
  artifacts: number;
  /** Objects found under `objects/`. */
  objects: number;
  signature: 'valid' | 'invalid' | 'malformed' | 'missing' | 'unchecked';
  key: KeyUsed | null;
  /** The key fingerprint the manifest names. */
  manifestKeySha256: string | null;
  problems: EvidenceProblem[];
}

export interface VerifyOptions {
  /** Check the signature against this public key (PEM) instead of the one stored with the evidence. */
  publicKeyFile?: string;
  /** Append a `verified` line to the custody log (default false: verifying may be done on a read-only copy). */
  record?: boolean;
  /** Who verifies, for the custody line (default: this process's user and machine name). */
  collector?: Collector;
  now?: () => Date;
}

/** Verify the evidence of a run. Throws InputError when `runDir` has no evidence store at all. */
export async function verifyEvidence(runDir: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const paths = evidencePaths(runDir);
  if (!isDir(paths.root))
    throw new InputError(`${runDir} is not a run directory with evidence (no ${paths.root} directory)`);
  const givenKey = options.publicKeyFile ? loadPublicKey(options.publicKeyFile) : undefined;
  const v = new Verification(runDir, paths);

  const manifestBytes = existsSync(paths.manifest) ? readFileSync(paths.manifest) : undefined;
  const manifest = v.readManifest(manifestBytes);
  const artifacts = manifest?.artifacts ?? v.artifactsFromCustody();
  if (manifest?.custody) await v.checkCustody(manifest.custody);
  await v.checkEntries(artifacts);
  v.checkStrays(artifacts);
  v.checkPermissions();
  const sig = manifestBytes
    ? v.checkSignature(manifestBytes, manifest?.signing?.publicKeySha256, givenKey, options.publicKeyFile)
    : { signature: 'unchecked' as const, key: null };

  const result: VerifyResult = {
    ok: !v.problems.some((p) => p.severity === 'error'),
    runDir,
    artifactsFrom: manifest ? 'manifest' : artifacts.length || existsSync(paths.custody) ? 'custody' : 'none',
    artifacts: artifacts.length,
    objects: v.objectCount,
    ...sig,
    manifestKeySha256: manifest?.signing?.publicKeySha256 ?? null,
    problems: v.problems,
  };
  if (options.record) recordVerification(paths, result, options);
  return result;
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function recordVerification(paths: EvidencePaths, result: VerifyResult, by: VerifyOptions): void {
  const count = (s: EvidenceProblem['severity']) => result.problems.filter((p) => p.severity === s).length;
  try {
    const log = new CustodyLog(
      paths.custody,
      actorOf(by.collector ?? localCollector()),
      by.now ?? (() => new Date()),
      LOG_FILE_MODE,
    );
    try {
      log.record({
        action: 'verified',
        ok: result.ok,
        errors: count('error'),
        warnings: count('warning'),
        key: result.key?.source ?? 'none',
        ...(result.key ? { publicKeySha256: result.key.sha256 } : {}),
      });
    } finally {
      log.close();
    }
  } catch (err) {
    result.problems.push({
      code: 'not-recorded',
      severity: 'warning',
      message: `could not record the verification in the custody log: ${(err as Error).message}`,
    });
  }
}

/** The checks, sharing the problem list and a cache of object hashes. */
class Verification {
  readonly problems: EvidenceProblem[] = [];
  objectCount = 0;

  constructor(
    private readonly runDir: string,
    private readonly paths: EvidencePaths,
  ) {}

  private rel(path: string): string {
    return relative(this.runDir, path);
  }

  private problem(
    code: ProblemCode,
    message: string,
    extra: { artifact?: Artifact; file?: string; severity?: 'error' | 'warning' } = {},
  ): void {
    const a = extra.artifact;
    this.problems.push({
      code,
      severity: extra.severity ?? 'error',
      message,
      ...(a ? { artifact: { id: a.id, host: a.host, step: a.step, source: a.source } } : {}),
      ...(extra.file ? { file: this.rel(extra.file) } : {}),
    });
  }

  readManifest(bytes: Buffer | undefined): (Partial<Manifest> & { artifacts: Artifact[] }) | undefined {
    if (!bytes) {
      this.problem(
        'manifest-missing',
        'manifest.json is missing: the evidence was never finalized and is not signed; artifacts are taken from the custody log',
        { file: this.paths.manifest },
      );
      return undefined;
    }
    const { manifest, errors } = parseManifest(bytes);
    if (!manifest)
      this.problem('manifest-unreadable', `${errors.join('; ')}; artifacts are taken from the custody log instead`, {
        file: this.paths.manifest,
      });
    else for (const e of errors) this.problem('entry-malformed', e, { file: this.paths.manifest });
    return manifest;
  }

  artifactsFromCustody(): Artifact[] {
    if (!existsSync(this.paths.custody)) {
      this.problem('custody-missing', 'custody.jsonl is missing', { file: this.paths.custody });
      return [];
    }
    const { events, bad } = readCustody(this.paths.custody);
    if (bad.length)
      this.problem('custody-unreadable', `custody.jsonl lines ${bad.join(', ')} are not custody events`, {
        file: this.paths.custody,
      });
    const artifacts = storedArtifacts(events);
    const usable = artifacts.filter(isArtifactShape);
    if (usable.length < artifacts.length)
      this.problem(
        'entry-malformed',
        `${artifacts.length - usable.length} stored events in custody.jsonl are malformed`,
        { file: this.paths.custody },
      );
    return usable;
  }

  /** The first `bytes` bytes of the custody log must hash to what the manifest recorded at signing. */
  async checkCustody(digest: { bytes?: unknown; sha256?: unknown }): Promise<void> {
    const file = this.paths.custody;
    if (!existsSync(file)) return this.problem('custody-missing', 'custody.jsonl is missing', { file });
    const bytes = Number(digest.bytes);
    if (!Number.isInteger(bytes) || bytes < 0 || !isSha256Hex(digest.sha256)) {
      return this.problem('manifest-unreadable', 'manifest.json has no valid custody digest', {
        file: this.paths.manifest,
      });
    }
    const size = statSync(file).size;
    if (size < bytes)
      return this.problem(
        'custody-altered',
        `custody.jsonl is ${size} bytes, shorter than the ${bytes} bytes it had at signing`,
        { file },
      );
    const hash = createHash('sha256');
    if (bytes > 0)
      for await (const chunk of createReadStream(file, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
    if (hash.digest('hex') !== digest.sha256)
      this.problem(
        'custody-altered',
        `custody.jsonl was changed: its first ${bytes} bytes no longer hash to what was signed`,
        { file },
      );
  }

  async checkEntries(artifacts: Artifact[]): Promise<void> {
    const hashes = new Map<string, Promise<{ sha256: string; size: number } | undefined>>();
    for (const a of artifacts) {
      if (a.match === false) {
        this.problem(
          'source-mismatch',
          `marked at collection: SHA-256 on the host ${isSha256Hex(a.sha256AtSource) ? a.sha256AtSource : JSON.stringify(a.sha256AtSource)} differs from the stored ${a.sha256AtRest}`,
          { artifact: a },
        );
      }
      if (!isSha256Hex(a.sha256AtRest)) {
        this.problem('entry-malformed', `entry has no valid SHA-256 (${JSON.stringify(a.sha256AtRest)})`, {
          artifact: a,
          file: this.paths.manifest,
        });
        continue;
      }
      const path = join(this.paths.root, objectRelPath(a.sha256AtRest));
      if (!hashes.has(a.sha256AtRest))
        hashes.set(
          a.sha256AtRest,
          hashFile(path).catch(() => undefined),
        );
      const actual = await hashes.get(a.sha256AtRest);
      if (!actual) {
        this.problem('object-missing', `object ${this.rel(path)} is missing`, { artifact: a, file: path });
        continue;
      }
      if (actual.size !== a.size)
        this.problem('size-mismatch', `object is ${actual.size} bytes, the manifest says ${a.size}`, {
          artifact: a,
          file: path,
        });
      if (actual.sha256 !== a.sha256AtRest)
        this.problem(
          'hash-mismatch',
          `object content changed: it hashes to ${actual.sha256}, the manifest says ${a.sha256AtRest}`,
          { artifact: a, file: path },
        );
    }
  }

  /** Objects nobody refers to, unexpected names, and writes a crash left in tmp/. */
  checkStrays(artifacts: Artifact[]): void {
    const listed = new Set(artifacts.map((a) => a.sha256AtRest));
    const stray = (path: string, why: string) =>
      this.problem('stray-file', `${this.rel(path)}: ${why}`, { file: path, severity: 'warning' });
    for (const sub of safeReaddir(this.paths.objects)) {
      const dir = join(this.paths.objects, sub);
      if (!/^[0-9a-f]{2}$/.test(sub) || !isDir(dir)) {
        stray(dir, 'not an object directory');
        continue;
      }
      for (const name of safeReaddir(dir)) {
        const path = join(dir, name);
        if (!isSha256Hex(name) || !name.startsWith(sub)) {
          stray(path, 'not named like an object');
          continue;
        }
        this.objectCount++;
        if (!listed.has(name))
          this.problem('object-unlisted', `object ${this.rel(path)} is not in the manifest`, {
            file: path,
            severity: 'warning',
          });
      }
    }
    for (const name of safeReaddir(this.paths.tmp))
      stray(join(this.paths.tmp, name), 'an unfinished write (left by a crash)');
  }

  checkPermissions(): void {
    const dirs = [
      this.paths.root,
      this.paths.objects,
      this.paths.tmp,
      ...safeReaddir(this.paths.objects).map((d) => join(this.paths.objects, d)),
    ];
    for (const d of dirs) {
      if (!isDir(d)) continue;
      const mode = statSync(d).mode & 0o777;
      if (mode & ~DIR_MODE)
        this.problem(
          'permissions',
          `${this.rel(d)} has mode ${mode.toString(8)}; evidence directories should be ${DIR_MODE.toString(8)} (owner only)`,
          { file: d, severity: 'warning' },
        );
    }
  }

  checkSignature(
    bytes: Buffer,
    named: string | undefined,
    givenKey: KeyObject | undefined,
    givenFile: string | undefined,
  ): Pick<VerifyResult, 'signature' | 'key'> {
    const { signature: sigFile, publicKey: pubFile } = this.paths;
    if (!existsSync(sigFile)) {
      this.problem('signature-missing', 'manifest.sig is missing: the manifest is not signed', { file: sigFile });
      return { signature: 'missing', key: null };
    }
    const key = givenKey ?? this.storedKey(named);
    if (!key) return { signature: 'unchecked', key: null };
    const used: KeyUsed = {
      source: givenKey ? 'given' : 'stored',
      file: givenKey ? (givenFile ?? '') : this.rel(pubFile),
      sha256: publicKeyFingerprint(key),
    };
    const status = checkSignature(bytes, readFileSync(sigFile, 'latin1'), key);
    if (status === 'malformed')
      this.problem('signature-invalid', 'manifest.sig is not a well-formed Ed25519 signature (altered?)', {
        file: sigFile,
      });
    if (status === 'invalid') {
      const other = named && named !== used.sha256 ? `; the manifest names key sha256 ${named}, not this one` : '';
      this.problem(
        'signature-invalid',
        `the signature does not match manifest.json with the ${used.source} key sha256 ${used.sha256}${other}`,
        { file: sigFile },
      );
    }
    return { signature: status, key: used };
  }

  /** The stored public key, if it is exactly what finalize() wrote and the key the manifest names. */
  private storedKey(named: string | undefined): KeyObject | undefined {
    const file = this.paths.publicKey;
    if (!existsSync(file)) {
      this.problem('public-key-missing', 'manifest.pub.pem is missing: pass --public-key to check the signature', {
        file,
      });
      return undefined;
    }
    const text = readFileSync(file, 'latin1');
    let key: KeyObject;
    try {
      key = loadPublicKey(file);
    } catch (err) {
      this.problem('public-key-invalid', (err as Error).message, { file });
      return undefined;
    }
    if (publicKeyPem(key) !== text)
      this.problem('public-key-invalid', 'manifest.pub.pem was altered (not the exact text that was written)', {
        file,
      });
    if (named && publicKeyFingerprint(key) !== named)
      this.problem(
        'public-key-invalid',
        `manifest.pub.pem (sha256 ${publicKeyFingerprint(key)}) is not the key the manifest names (${named})`,
        { file },
      );
    return key;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
