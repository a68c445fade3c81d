/**
 * `Transport` for one host over the system OpenSSH client: one ControlMaster per host (master.ts),
 * every exec a channel on it (mux.ts, with the exec semantics shared with ssh2 in channel-exec.ts),
 * transfers with `cat` on a channel (transfer.ts). What ssh2 cannot do comes with ssh itself:
 * ProxyCommand, certificates (user and host), FIDO keys, GSSAPI, post-quantum key exchange, and
 * everything in ssh_config. Same contract as SshTransport (see ../index.ts), with one difference:
 * a remote signal is reported as `code: null, signal: null` (the multiplexing protocol carries no
 * exit signal; a timeout or abort still reports SIGKILL like ssh2 when no status came back).
 */
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConnectionError, InputError } from '../../core/errors.js';
import type { ExecResult } from '../../core/exec.js';
import type { ConnectOptions, ExecOptions, TransferResult, Transport } from '../../core/transport.js';
import { runChannelExec } from '../channel-exec.js';
import { LeftRunning } from '../left-running.js';
import { knownHostsTarget, withHostKeyReplaced } from './host-key-replace.js';
import { Master, trackDir } from './master.js';
import { openMuxChannel, type MuxTarget } from './mux.js';
import { masterArgs, MAX_CONTROL_PATH, type OpenSshOptions, type OpenSshSpec } from './options.js';
import { muxGet, muxPut } from './transfer.js';

export class OpenSshTransport implements Transport {
  readonly host: string;
  private master?: Master;
  private connecting?: Promise<void>;
  private dir?: string;
  private readonly left = new LeftRunning();

  constructor(
    private readonly spec: OpenSshSpec,
    private readonly options: OpenSshOptions,
  ) {
    this.host = spec.name;
  }

  get connected(): boolean {
    return this.master?.alive === true;
  }

  /** Commands a lost connection left running on the host, not yet killed (connect() kills them). */
  get leftRunning(): number {
    return this.left.count;
  }

  /** `type SHA256:…` of the host key the master verified (from its "Server host key" line). */
  get hostKey(): string | undefined {
    return this.connected ? this.master?.hostKey : undefined;
  }

  connect(options?: ConnectOptions): Promise<void> {
    if (this.connected) return Promise.resolve();
    this.connecting ??= this.open(options)
      .then(() => {
        const t = this.target();
        return this.left.sweep((wrapped) => openMuxChannel(t, wrapped));
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async controlDir(): Promise<string> {
    if (this.dir) return this.dir;
    const base = this.options.controlDir ?? os.tmpdir();
    await mkdir(base, { recursive: true, mode: 0o700 });
    const dir = await mkdtemp(path.join(base, 'fb-ssh-')); // mode 0700
    trackDir(dir, true);
    if (path.join(dir, 'm').length > MAX_CONTROL_PATH) {
      await rm(dir, { recursive: true, force: true });
      trackDir(dir, false);
      throw new InputError(
        `control directory ${base} is too long for a unix socket path (at most ${MAX_CONTROL_PATH - 20} characters)`,
      );
    }
    return (this.dir = dir);
  }

  private async open(options?: ConnectOptions): Promise<void> {
    await this.master?.stop(); // a master that died: its socket may linger
    this.master = undefined;
    const dir = await this.controlDir();
    const o = this.options;
    const start = (acceptNew: boolean) =>
      Master.start({
        hostName: this.host,
        destination: this.spec.destination,
        sshBinary: o.sshBinary ?? 'ssh',
        sock: path.join(dir, 'm'),
        args: masterArgs(this.spec, o, path.join(dir, 'm'), acceptNew),
        connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
      });
    const replace = options?.replaceHostKey;
    if (!replace) {
      this.master = await start(o.acceptNew);
      return;
    }
    const target = await knownHostsTarget(this.spec, o);
    const change = await withHostKeyReplaced(target, async () => {
      this.master = await start(true);
      return this.master.hostKey;
    });
    if (change) replace(change);
  }

  /** The live master's channel target; ConnectionError `closed` when there is none. */
  private target(): MuxTarget {
    const m = this.master;
    if (!m?.alive || !this.dir)
      throw new ConnectionError(this.host, 'not connected (call connect() first, or the connection dropped)', 'closed');
    return {
      hostName: this.host,
      destination: this.spec.destination,
      sshBinary: this.options.sshBinary ?? 'ssh',
      sock: path.join(this.dir, 'm'),
      dir: this.dir,
      // A client that got no status: if the master dies right after, the connection was lost.
      masterGone: () => m.goneWithin(300),
    };
  }

  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    const t = this.target();
    return runChannelExec(
      (wrapped) => openMuxChannel(t, wrapped),
      this.host,
      command,
      options,
      (pid, nonce) => this.left.note({ pid, nonce, ...(options.become ? { become: options.become } : {}) }),
    );
  }

  async put(
    localPath: string,
    remotePath: string,
    options?: { mode?: number; signal?: AbortSignal },
  ): Promise<TransferResult> {
    return muxPut(this.target(), localPath, remotePath, options);
  }

  async get(remotePath: string, localPath: string, options?: { signal?: AbortSignal }): Promise<TransferResult> {
    return muxGet(this.target(), remotePath, localPath, options);
  }

  async close(): Promise<void> {
    await this.connecting?.catch(() => undefined);
    const m = this.master;
    this.master = undefined;
    await m?.stop();
    if (this.dir) {
      await rm(this.dir, { recursive: true, force: true });
      trackDir(this.dir, false);
      this.dir = undefined;
    }
  }
}
