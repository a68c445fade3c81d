/**
 * One host's connection for the whole run: created on first use, reopened once if it dropped between
 * steps, reopened in a loop by `reconnect` actions (a rebooting host), closed at the end.
 */
import { ConnectionError, type ConnectOptions, type Host, type Transport } from '../core/index.js';
import type { Clock } from './executor-types.js';

export class HostSession {
  private transport: Transport | undefined;
  private everConnected = false;
  private finished?: Promise<void>;

  constructor(
    readonly host: Host,
    private readonly factory: (host: Host) => Transport,
  ) {}

  /** The transport, creating it on first use (connecting is separate). */
  get t(): Transport {
    this.transport ??= this.factory(this.host);
    return this.transport;
  }

  /**
   * Make sure the connection is up before a step. First use: connect. Dropped since: one reconnect
   * attempt (the transport itself retries handshakes a busy sshd dropped). Throws ConnectionError.
   */
  async ensureConnected(): Promise<void> {
    const t = this.t;
    if (t.connected) return;
    try {
      await t.connect();
    } catch (err) {
      throw asConnectionError(this.host.name, err, this.everConnected ? 'reconnect failed: ' : '');
    }
    this.everConnected = true;
  }

  /**
   * Close, then try to connect every `delayMs` until it works or `timeoutMs` has passed (wait_for
   * connection after a reboot). Bounded by time and by attempt count.
   */
  async reconnectUntil(
    timeoutMs: number,
    delayMs: number,
    clock: Clock,
    signal: AbortSignal,
    options?: ConnectOptions,
  ): Promise<void> {
    const t = this.t;
    await t.close().catch(() => undefined);
    const start = clock.now();
    const maxAttempts = Math.max(1, Math.ceil(timeoutMs / Math.max(delayMs, 1)) + 1);
    let last: unknown;
    for (let attempt = 1; attempt <= maxAttempts && !signal.aborted; attempt++) {
      try {
        await t.connect(options);
        this.everConnected = true;
        return;
      } catch (err) {
        last = err;
      }
      if (clock.now() - start + delayMs > timeoutMs) break;
      await clock.sleep(delayMs, signal);
    }
    const why = signal.aborted ? 'aborted' : `no connection within ${timeoutMs} ms`;
    throw asConnectionError(this.host.name, last ?? new Error(why), `${why}: `);
  }

  /**
   * Open a second, independent connection, run `true`, close it: after a firewall or sshd change,
   * proves that a *new* connection still gets in (the existing one may survive rules that lock out
   * every later one). Throws ConnectionError when it does not.
   */
  async probeFresh(timeoutMs: number): Promise<void> {
    const t = this.factory(this.host);
    try {
      await t.connect();
      const r = await t.exec('true', { timeoutMs });
      if (r.code !== 0)
        throw new ConnectionError(
          this.host.name,
          `a fresh connection could not run \`true\` (${r.timedOut ? 'timed out' : `exit ${r.code}`})`,
          'other',
        );
    } catch (err) {
      throw asConnectionError(this.host.name, err, 'a fresh SSH connection failed: ');
    } finally {
      await t.close().catch(() => undefined);
    }
  }

  /**
   * Close if ever opened. Never throws. A lost connection may have left a command running on the
   * host (a network cut the host never noticed): one last connect (bounded by the connect timeout)
   * kills it, so the run does not leave it behind if the host is back by now.
   */
  async close(): Promise<void> {
    if (!this.transport) return;
    if (this.transport.leftRunning) await this.transport.connect().catch(() => undefined);
    await this.transport.close().catch(() => undefined);
  }

  /**
   * Close for good, once: the host's part of the run is over. Started as soon as a host finishes its
   * last phase (its sshd's teardown then overlaps the other hosts' work) and awaited at the end.
   */
  finish(): Promise<void> {
    this.finished ??= this.close();
    return this.finished;
  }
}

/** Keep a ConnectionError's reason; wrap anything else as reason `other`. */
export function asConnectionError(host: string, err: unknown, prefix = ''): ConnectionError {
  if (err instanceof ConnectionError) {
    if (!prefix) return err;
    return new ConnectionError(host, prefix + err.message.replace(`${host}: `, ''), err.reason, { cause: err });
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new ConnectionError(host, prefix + msg, 'other', { cause: err });
}
