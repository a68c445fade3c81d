/**
 * `verifyEvidence`: re-hash every object, check every manifest entry against it, check the manifest
 * signature, who signed it, the custody log as it was at signing and the rest of the run directory as
 * sealed (verify-run.ts), and list every problem with the artifact or file it concerns. Nothing is
 * trusted from the files being checked except to name things: object paths are rebuilt from validated
 * hex digests only, and the signature covers the manifest's exact bytes.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, JOURNAL_FILE } from '../core/index.js';
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
import { defaultKeyringDir, readKeyring, readTrustedKeysFile } from './keyring.js';
import { isArtifactShape, parseManifest, type Artifact, type Manifest } from './manifest.js';
import { loadPublicKey } from './signing.js';
import { checkRunDir } from './verify-run.js';
import { checkManifestSignature, type Trust } from './verify-signature.js';
import { ProblemList, type EvidenceProblem, type VerifyOptions, type VerifyResult } from './verify-types.js';

export type { EvidenceProblem, KeyUsed, ProblemCode, Signer, VerifyOptions, VerifyResult } from './verify-types.js';

/**
 * Verify a run directory: its evidence store and, as far as the manifest seals it, everything else.
 * A run that crashed before sealing has no manifest (or, when it collected nothing, no evidence/ at
 * all): it is checked as far as it goes — the journal's chain up to a torn last line, the stored
 * objects against the custody log — and reported as not finalized. Throws InputError when `runDir`
 * is not a run directory (no evidence/ and no journal).
 */
export async function verifyEvidence(runDir: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const paths = evidencePaths(runDir);
  const hasStore = isDir(paths.root);
  if (!hasStore && !existsSync(join(runDir, JOURNAL_FILE)))
    throw new InputError(`${runDir} is not a run directory with evidence (no ${paths.root} directory)`);
  const trust = loadTrust(options);
  const v = new Verification(runDir, paths);
  if (trust.warning) v.problem('keyring', trust.warning, { severity: 'warning' });

  const manifestBytes = existsSync(paths.manifest) ? readFileSync(paths.manifest) : undefined;
  let manifest: ReturnType<Verification['readManifest']>;
  let artifacts: Artifact[] = [];
  if (hasStore) {
    manifest = v.readManifest(manifestBytes);
    artifacts = manifest?.artifacts ?? v.artifactsFromCustody();
    if (manifest?.custody) await v.checkCustody(manifest.custody);
    await v.checkEntries(artifacts);
    v.checkStrays(artifacts);
    v.checkPermissions();
  } else {
    v.problem(
      'manifest-missing',
      'the run was never finalized: it has no evidence/ directory (it ended before sealing), so nothing is signed',
      { file: paths.root },
    );
  }
  const sig = manifestBytes
    ? checkManifestSignature(v, paths, manifestBytes, manifest?.signing, trust)
    : { signature: 'unchecked' as const, key: null, signer: null };
  const run = await checkRunDir(v, runDir, manifest);

  const result: VerifyResult = {
    ok: !v.problems.some((p) => p.severity === 'error'),
    runDir,
    artifactsFrom: manifest ? 'manifest' : artifacts.length || existsSync(paths.custody) ? 'custody' : 'none',
    artifacts: artifacts.length,
    objects: v.objectCount,
    ...sig,
    manifestKeySha256: manifest?.signing?.publicKeySha256 ?? null,
    ...run,
    problems: v.problems,
  };
  if (options.record && hasStore) recordVerification(paths, result, options);
  return result;
}

/** Keys to trust: --public-key, --trusted-keys, and this controller's keyring. Bad files are bad input. */
function loadTrust(options: VerifyOptions): Trust & { warning?: string } {
  const keyringDir = options.keyringDir ?? defaultKeyringDir();
  const { keys, warning } = readKeyring(keyringDir);
  return {
    ...(options.publicKeyFile
      ? { given: { key: loadPublicKey(options.publicKeyFile), file: options.publicKeyFile } }
      : {}),
    keyring: keys,
    keyringDir,
    trustedKeys: options.trustedKeysFile ? readTrustedKeysFile(options.trustedKeysFile) : new Map(),
    ...(warning ? { warning } : {}),
  };
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
        ...(result.signer ? { signerTrusted: result.signer.trusted } : {}),
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

/** The checks of the evidence store, sharing the problem list. */
class Verification extends ProblemList {
  objectCount = 0;

  constructor(
    runDir: string,
    private readonly paths: EvidencePaths,
  ) {
    super(runDir);
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
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
