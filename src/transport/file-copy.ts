/**
 * Streaming a file into place with an exact byte count: the bytes go to a temporary name beside the
 * target, which is renamed over it only when complete, so a failed or aborted transfer never leaves a
 * half-written file under the real name. Used by SFTP downloads and by the local transport.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TransferResult } from '../core/transport.js';
import { ByteCounter } from './byte-counter.js';

/**
 * Stream what `open()` returns to `target` through a temporary file beside it, then rename. `mode`
 * is set explicitly (not filtered by the umask); the directory of `target` is created when
 * `createDir`. `open` is called only when the pipeline is ready to take the stream's errors.
 */
export async function streamIntoPlace(
  open: () => Readable,
  target: string,
  options: { mode: number; signal?: AbortSignal; createDir?: boolean },
): Promise<TransferResult> {
  const t0 = performance.now();
  const counter = new ByteCounter();
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.part-${randomBytes(6).toString('hex')}`);
  if (options.createDir) await fs.mkdir(path.dirname(target), { recursive: true });
  try {
    await pipeline(
      open(),
      counter,
      createWriteStream(tmp, { mode: options.mode }),
      options.signal ? { signal: options.signal } : {},
    );
    await fs.chmod(tmp, options.mode);
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  return { bytes: counter.bytes, durationMs: Math.round(performance.now() - t0) };
}
