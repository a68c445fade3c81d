/**
 * `Transport` for an `ansible_connection=local` host: commands run on the controller itself, as the
 * controller's user, with no SSH in between; put/get are local file copies. Exec semantics (the
 * wrapper, capture, timeout, abort, become) are the SSH path's own (see local-exec.ts), so a step
 * behaves the same whichever way it reaches its host. There is nothing to connect: `connect()` only
 * marks the transport usable again after `close()`, and there is no host key.
 */
import { createReadStream } from 'node:fs';
import { ConnectionError } from '../core/errors.js';
import type { ExecResult } from '../core/exec.js';
import type { ExecOptions, TransferResult, Transport } from '../core/transport.js';
import { streamIntoPlace } from './file-copy.js';
import { loginEnv, runLocalExec } from './local-exec.js';

export class LocalTransport implements Transport {
  private open = false;
  readonly hostKey = undefined;

  constructor(
    readonly host: string,
    /** The commands' environment; default: an SSH login's (see loginEnv), never the controller's secrets. */
    private readonly env: NodeJS.ProcessEnv = loginEnv(),
  ) {}

  get connected(): boolean {
    return this.open;
  }

  connect(): Promise<void> {
    this.open = true;
    return Promise.resolve();
  }

  private live(): void {
    if (!this.open) throw new ConnectionError(this.host, 'not connected (call connect() first)', 'closed');
  }

  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    this.live();
    return runLocalExec(this.host, command, options, this.env);
  }

  async put(
    localPath: string,
    remotePath: string,
    options: { mode?: number; signal?: AbortSignal } = {},
  ): Promise<TransferResult> {
    this.live();
    return streamIntoPlace(() => createReadStream(localPath), remotePath, {
      mode: options.mode ?? 0o644,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  async get(remotePath: string, localPath: string, options: { signal?: AbortSignal } = {}): Promise<TransferResult> {
    this.live();
    return streamIntoPlace(() => createReadStream(remotePath), localPath, {
      mode: 0o600,
      createDir: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  close(): Promise<void> {
    this.open = false;
    return Promise.resolve();
  }
}
