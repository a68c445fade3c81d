/**
 * `Transport` for one host over one ssh2 connection: every exec is a channel on it, SFTP is one
 * lazily opened session on it. `connect()` can be called again after a drop (the engine reconnects
 * once between steps); a call while already connected is a no-op, concurrent calls share one attempt.
 */
import type { Client as ClientType, SFTPWrapper } from 'ssh2';
import { ConnectionError } from '../core/errors.js';
import type { ExecResult } from '../core/exec.js';
import type { ConnectOptions, ExecOptions, TransferResult, Transport } from '../core/transport.js';
import { LeftRunning } from './left-running.js';
import { channelOpener, runExec } from './ssh-exec.js';
import { openSftp, sftpGet, sftpPut } from './ssh-sftp.js';
import { verifiedHostKey } from './ssh-connect.js';

/** Opens an authenticated connection for this host (jump hosts, limiter, retries included). */
export type Connector = (options?: ConnectOptions) => Promise<ClientType>;

export class SshTransport implements Transport {
  private client?: ClientType;
  private connecting?: Promise<void>;
  private sftpSession?: Promise<SFTPWrapper>;
  private readonly left = new LeftRunning();

  constructor(
    readonly host: string,
    private readonly connector: Connector,
  ) {}

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Commands a lost connection left running on the host, not yet killed (connect() kills them). */
  get leftRunning(): number {
    return this.left.count;
  }

  /** `type SHA256:…` of the host key the current connection was verified with. */
  get hostKey(): string | undefined {
    return this.client ? verifiedHostKey(this.client) : undefined;
  }

  connect(options?: ConnectOptions): Promise<void> {
    if (this.client) return Promise.resolve();
    if (!this.connecting) {
      this.connecting = this.connector(options).then(
        async (client) => {
          this.connecting = undefined;
          this.client = client;
          client.on('error', () => undefined); // reported through 'close' and failing calls
          client.once('close', () => {
            if (this.client === client) {
              this.client = undefined;
              this.sftpSession = undefined;
            }
          });
          await this.left.sweep(channelOpener(client, this.host));
        },
        (err: unknown) => {
          this.connecting = undefined;
          throw err;
        },
      );
    }
    return this.connecting;
  }

  private live(): ClientType {
    if (!this.client)
      throw new ConnectionError(this.host, 'not connected (call connect() first, or the connection dropped)', 'closed');
    return this.client;
  }

  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    return runExec(this.live(), this.host, command, options, (pid, nonce) =>
      this.left.note({ pid, nonce, ...(options.become ? { become: options.become } : {}) }),
    );
  }

  private sftp(): Promise<SFTPWrapper> {
    const client = this.live();
    if (!this.sftpSession) {
      const s = openSftp(client, this.host);
      this.sftpSession = s;
      s.then(
        (sftp) => sftp.once('close', () => this.sftpSession === s && (this.sftpSession = undefined)),
        () => this.sftpSession === s && (this.sftpSession = undefined),
      );
    }
    return this.sftpSession;
  }

  async put(
    localPath: string,
    remotePath: string,
    options?: { mode?: number; signal?: AbortSignal },
  ): Promise<TransferResult> {
    return sftpPut(await this.sftp(), localPath, remotePath, options);
  }

  async get(remotePath: string, localPath: string, options?: { signal?: AbortSignal }): Promise<TransferResult> {
    return sftpGet(await this.sftp(), remotePath, localPath, options);
  }

  async close(): Promise<void> {
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    this.sftpSession = undefined;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        client.destroy();
        resolve();
      }, 2000);
      client.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      client.end();
    });
  }
}
