/**
 * File transfer over SFTP, streamed in both directions with exact byte counts. A download goes to a
 * temporary file beside the target and is renamed into place only when complete (file-copy.ts), so
 * a failed or aborted transfer never leaves a half-written file under the real name.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Client as ClientType, SFTPWrapper } from 'ssh2';
import { ConnectionError } from '../core/errors.js';
import { ByteCounter } from './byte-counter.js';
import type { TransferResult } from '../core/transport.js';
import { streamIntoPlace } from './file-copy.js';

export function openSftp(client: ClientType, hostName: string): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) =>
    client.sftp((err, sftp) =>
      err
        ? reject(new ConnectionError(hostName, `cannot start SFTP: ${err.message}`, 'other', { cause: err }))
        : resolve(sftp),
    ),
  );
}

/** Resolve when a stream has emitted 'close' (ssh2's SFTP write stream closes its handle after 'finish'). */
function closedOf(stream: NodeJS.EventEmitter & { closed?: boolean }): Promise<void> {
  if (stream.closed) return Promise.resolve();
  return new Promise((resolve) => stream.once('close', () => resolve()));
}

export async function sftpPut(
  sftp: SFTPWrapper,
  localPath: string,
  remotePath: string,
  options: { mode?: number; signal?: AbortSignal } = {},
): Promise<TransferResult> {
  const t0 = performance.now();
  const counter = new ByteCounter();
  const remote = sftp.createWriteStream(remotePath, { mode: options.mode ?? 0o644 });
  const remoteClosed = closedOf(remote);
  await pipeline(createReadStream(localPath), counter, remote, options.signal ? { signal: options.signal } : {});
  await remoteClosed;
  if (options.mode !== undefined) {
    // The mode given at open is filtered by the server's umask: set it explicitly.
    await new Promise<void>((resolve, reject) =>
      sftp.chmod(remotePath, options.mode as number, (e) => (e ? reject(e) : resolve())),
    );
  }
  return { bytes: counter.bytes, durationMs: Math.round(performance.now() - t0) };
}

export function sftpGet(
  sftp: SFTPWrapper,
  remotePath: string,
  localPath: string,
  options: { signal?: AbortSignal } = {},
): Promise<TransferResult> {
  return streamIntoPlace(() => sftp.createReadStream(remotePath), localPath, {
    mode: 0o600,
    createDir: true,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
