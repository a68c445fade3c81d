/**
 * Where things live inside `<runDir>/evidence/` (described in full at the top of store.ts), plus the
 * low-level file helpers the store and the verifier share: streaming SHA-256, atomic writes, fsync.
 */
import { createHash } from 'node:crypto';
import { createReadStream, closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';

/** Owner-only directories: evidence is for the responder's eyes. */
export const DIR_MODE = 0o700;
/** Objects, manifest, signature and public key are never written in place: read-only for the owner. */
export const SEALED_FILE_MODE = 0o400;
/** The custody log keeps growing, so it stays writable for the owner. */
export const LOG_FILE_MODE = 0o600;

export const EVIDENCE_DIR = 'evidence';

/** Paths of one run's evidence store. */
export interface EvidencePaths {
  /** `<runDir>/evidence` */
  root: string;
  objects: string;
  /** In-progress writes; same filesystem as `objects`, so a rename is atomic. */
  tmp: string;
  manifest: string;
  signature: string;
  publicKey: string;
  custody: string;
}

export function evidencePaths(runDir: string): EvidencePaths {
  const root = join(runDir, EVIDENCE_DIR);
  return {
    root,
    objects: join(root, 'objects'),
    tmp: join(root, 'tmp'),
    manifest: join(root, 'manifest.json'),
    signature: join(root, 'manifest.sig'),
    publicKey: join(root, 'manifest.pub.pem'),
    custody: join(root, 'custody.jsonl'),
  };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A lowercase hex SHA-256: the only thing ever turned into an object path (no `../` from a tampered manifest). */
export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/** `objects/<first 2 hex>/<sha256>` relative to the evidence root. */
export function objectRelPath(sha256: string): string {
  if (!isSha256Hex(sha256)) throw new Error(`not a SHA-256 hex digest: ${JSON.stringify(sha256)}`);
  return join('objects', sha256.slice(0, 2), sha256);
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Below this size a file is hashed in one read: most artifacts are small, and a stream costs more to set up. */
const READ_WHOLE_BELOW = 1024 * 1024;

/** SHA-256 and size of a file, streamed when large (bounded memory). */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  if ((await stat(path)).size < READ_WHOLE_BELOW) {
    const bytes = await readFile(path);
    return { sha256: sha256Hex(bytes), size: bytes.length };
  }
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Files hashed at once by hashFiles (libuv's thread pool has 4 threads; a few more keep it busy). */
const HASHED_AT_ONCE = 16;

/**
 * hashFile of each path, in order, several at once: one after another, each small file's few I/O
 * round trips made sealing (and verifying) a 100-host run's 500 step outputs take a fifth of a second,
 * nearly all of it waiting.
 */
export function hashFiles(paths: readonly string[]): Promise<{ sha256: string; size: number }[]> {
  const limit = pLimit(HASHED_AT_ONCE);
  return Promise.all(paths.map((p) => limit(() => hashFile(p))));
}

/** fsync a file or directory by path (directories: makes a rename inside them durable). */
export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write a file so no reader ever sees half of it: a temp file in `tmpDir` (same filesystem), fsynced,
 * then renamed over the target. Works over a read-only (0400) target: rename needs only the directory.
 */
export function writeFileAtomic(
  path: string,
  data: string | Buffer,
  tmpDir: string,
  mode: number,
  fsync: boolean,
): void {
  const tmp = join(tmpDir, `atomic-${process.pid}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(tmp, data, { mode, flag: 'wx' });
  if (fsync) fsyncPath(tmp);
  renameSync(tmp, path);
}
