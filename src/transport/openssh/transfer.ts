/**
 * File transfer over the master with `cat` on a channel (no sftp process, no second protocol).
 * Upload: `cat` into a temporary file beside the target, then — only if the byte count is exactly
 * the local file's size — chmod and rename it into place, so an aborted or dropped upload never
 * replaces the target with a truncated file. Download: `cat` streamed to a temporary local file,
 * renamed into place only after a zero exit. Both count bytes and abort via the signal.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ConnectionError } from '../../core/errors.js';
import { quote } from '../../core/quote.js';
import type { TransferResult } from '../../core/transport.js';
import { ByteCounter } from '../byte-counter.js';
import { spawnMux, type MuxProcess, type MuxTarget } from './mux.js';

const nonce = () => randomBytes(6).toString('hex');

/** The remote script of an upload of `size` bytes (POSIX sh). */
export function putScript(remotePath: string, size: number, mode: number): string {
  const tmp = path.posix.join(path.posix.dirname(remotePath), `.${path.posix.basename(remotePath)}.part-${nonce()}`);
  return [
    `dst=${quote(remotePath)}; tmp=${quote(tmp)}`,
    'umask 077',
    'cat > "$tmp" || { rm -f "$tmp"; exit 1; }',
    'n=$(wc -c < "$tmp" | tr -d " ")',
    `if [ "$n" != ${size} ]; then rm -f "$tmp"; echo "incomplete upload ($n of ${size} bytes): $dst left unchanged" >&2; exit 1; fi`,
    `chmod ${mode.toString(8)} "$tmp" && mv -f "$tmp" "$dst" || { rm -f "$tmp"; exit 1; }`,
  ].join('\n');
}

/** Collects a bounded stderr tail for the error message. */
function stderrTail(p: MuxProcess): () => string {
  let text = '';
  p.child.stderr?.setEncoding('utf8');
  p.child.stderr?.on('data', (s: string) => (text = (text + s).slice(-2000)));
  return () => text.trim();
}

/** Wait for the client to end; throw unless the remote side exited 0. */
async function finished(t: MuxTarget, p: MuxProcess, what: string, stderr: () => string): Promise<void> {
  const exit = await p.ended;
  if (exit?.code === 0) return;
  if (!exit && (await p.noStatus()) === 'lost')
    throw new ConnectionError(t.hostName, `connection lost during ${what}`, 'closed');
  const why = stderr() || (exit ? `exit code ${exit.code}` : 'the channel ended without a status');
  throw new Error(`${t.hostName}: ${what} failed: ${why}`);
}

/** Kill the client on abort (closes the channel; an upload's remote temp file is then removed). */
function killOnAbort(p: MuxProcess, signal?: AbortSignal): () => void {
  const kill = () => p.child.kill('SIGTERM');
  signal?.addEventListener('abort', kill, { once: true });
  return () => signal?.removeEventListener('abort', kill);
}

export async function muxPut(
  t: MuxTarget,
  localPath: string,
  remotePath: string,
  options: { mode?: number; signal?: AbortSignal } = {},
): Promise<TransferResult> {
  options.signal?.throwIfAborted();
  const t0 = performance.now();
  const { size } = await fs.stat(localPath);
  const script = putScript(remotePath, size, options.mode ?? 0o644);
  const p = await spawnMux(t, `exec /bin/sh -c ${quote(script)}`);
  const stderr = stderrTail(p);
  p.child.stdout?.resume();
  const unlisten = killOnAbort(p, options.signal);
  const counter = new ByteCounter();
  try {
    await pipeline(
      createReadStream(localPath),
      counter,
      p.child.stdin as NodeJS.WritableStream,
      options.signal ? { signal: options.signal } : {},
    );
    await finished(t, p, `put ${localPath} → ${remotePath}`, stderr);
  } catch (err) {
    p.child.kill('SIGTERM');
    await p.ended;
    throw err;
  } finally {
    unlisten();
  }
  return { bytes: counter.bytes, durationMs: Math.round(performance.now() - t0) };
}

export async function muxGet(
  t: MuxTarget,
  remotePath: string,
  localPath: string,
  options: { signal?: AbortSignal } = {},
): Promise<TransferResult> {
  options.signal?.throwIfAborted();
  const t0 = performance.now();
  const counter = new ByteCounter();
  const tmp = path.join(path.dirname(localPath), `.${path.basename(localPath)}.part-${nonce()}`);
  await fs.mkdir(path.dirname(localPath), { recursive: true });
  const p = await spawnMux(t, `exec /bin/sh -c ${quote(`exec cat -- ${quote(remotePath)}`)}`);
  p.child.stdin?.end();
  const stderr = stderrTail(p);
  const unlisten = killOnAbort(p, options.signal);
  try {
    await pipeline(
      p.child.stdout as NodeJS.ReadableStream,
      counter,
      createWriteStream(tmp, { mode: 0o600 }),
      options.signal ? { signal: options.signal } : {},
    );
    await finished(t, p, `get ${remotePath} → ${localPath}`, stderr);
    await fs.rename(tmp, localPath);
  } catch (err) {
    p.child.kill('SIGTERM');
    await p.ended;
    await fs.rm(tmp, { force: true });
    throw err;
  } finally {
    unlisten();
  }
  return { bytes: counter.bytes, durationMs: Math.round(performance.now() - t0) };
}
