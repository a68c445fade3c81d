/**
 * The state shared by all hosts of one run: the per-sshd handshake limiter, the known_hosts stores
 * (one lock per file), the key/passphrase cache and the jump-host pool (one connection per jump
 * chain, shared by every host behind it). `session.transport(spec)` makes a host's Transport;
 * `session.close()` closes the jump connections (host transports are closed by their owners).
 */
import type { Duplex } from 'node:stream';
import type { Client as ClientType } from 'ssh2';
import { ConnectionError } from '../core/errors.js';
import type { ConnectionSpec } from '../core/host.js';
import type { ConnectOptions, Transport } from '../core/transport.js';
import { defaultKnownHostsFile, KnownHostsStore } from './known-hosts-store.js';
import { KnownHostsSet, type HostKeyStore } from './known-hosts-set.js';
import { KeyedLimiter } from './limiter.js';
import { OpenSshTransport } from './openssh/transport.js';
import { connectTimeoutFor } from './resolve-connection.js';
import { LocalTransport } from './local-transport.js';
import { parseJumpHop, parseSshCommonArgs, type JumpHop } from './ssh-args.js';
import { authMethods, KeyLoader, type PassphraseProvider } from './ssh-auth.js';
import { handshake } from './ssh-connect.js';
import { SshTransport } from './ssh-transport.js';
import { KEEPALIVE_COUNT_MAX, KEEPALIVE_INTERVAL_MS } from './keepalive.js';

/** Options shared by every connection of a session. */
export interface SshOptions {
  /** OpenSSH known_hosts file. Default `~/.ssh/known_hosts`. */
  knownHostsFile?: string;
  /** Trust unknown host keys on first use and record them (`--accept-new`). Changed keys are always refused. */
  acceptNew?: boolean;
  /** TCP connect + SSH handshake + auth, per attempt. Default 10 000. */
  connectTimeoutMs?: number;
  /** Default KEEPALIVE_INTERVAL_MS (5 000); 0 disables keepalive. */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection counts as dead. Default KEEPALIVE_COUNT_MAX (3). */
  keepaliveCountMax?: number;
  /** ssh-agent socket. Default `SSH_AUTH_SOCK`; `false` disables the agent. */
  agent?: string | false;
  /** Asked once per encrypted key file. Without it encrypted keys are skipped. */
  passphrase?: PassphraseProvider;
  /** Concurrent handshakes per target sshd (`address:port`). Default 10 (OpenSSH MaxStartups begins at 10). */
  maxHandshakesPerTarget?: number;
  /** Retries of a handshake dropped before it started (MaxStartups). Default 6. */
  handshakeRetries?: number;
  /**
   * Honour an inventory's `StrictHostKeyChecking=no` and `UserKnownHostsFile=/dev/null`
   * (`--trust-inventory-host-key-options`). Off by default: an inventory line must not switch off
   * host-key verification without the responder saying so.
   */
  inventoryMayWeakenHostKeys?: boolean;
}

/** What in an inventory's ssh args would weaken host-key checking, e.g. `StrictHostKeyChecking=no`. */
export function hostKeyWeakening(sshCommonArgs: string | undefined): string[] {
  const args = parseSshCommonArgs(sshCommonArgs);
  const weak: string[] = [];
  if (args.strictHostKeyChecking === 'no' || args.strictHostKeyChecking === 'off')
    weak.push(`StrictHostKeyChecking=${args.strictHostKeyChecking}`);
  if (args.userKnownHostsFile === '/dev/null') weak.push('UserKnownHostsFile=/dev/null');
  return weak;
}

export class SshSession {
  private readonly limiter: KeyedLimiter;
  private readonly keys: KeyLoader;
  private readonly stores = new Map<string, KnownHostsStore>();
  private readonly jumps = new Map<string, Promise<ClientType>>();

  constructor(readonly options: SshOptions = {}) {
    this.limiter = new KeyedLimiter(options.maxHandshakesPerTarget ?? 10);
    this.keys = new KeyLoader(options.passphrase);
  }

  /** The Transport for one host (on the controller itself for `ansible_connection=local`). Nothing connects until `connect()`. */
  transport(spec: ConnectionSpec): Transport {
    if (spec.transport === 'local') return new LocalTransport(spec.name);
    if (spec.transport === 'openssh' && spec.sshCommand) return this.openssh(spec, spec.sshCommand);
    return new SshTransport(spec.name, (options) => this.connectHost(spec, options));
  }

  /**
   * Read (and, for encrypted ones, ask the passphrase of) these key files now, before parallel output
   * starts, so no question interleaves with progress. Unreadable files are left for connect() to report.
   */
  async preloadKeys(files: readonly string[]): Promise<void> {
    for (const file of new Set(files)) await this.keys.load('-', file, true).catch(() => undefined);
  }

  /** Close every pooled jump-host connection. */
  async close(): Promise<void> {
    const all = [...this.jumps.values()];
    this.jumps.clear();
    await Promise.all(
      all.map((p) =>
        p.then(
          (c) => c.end(),
          () => undefined,
        ),
      ),
    );
  }

  private store(file: string): KnownHostsStore {
    let s = this.stores.get(file);
    if (!s) this.stores.set(file, (s = new KnownHostsStore(file)));
    return s;
  }

  /**
   * Host-key policy of one host, the same for both transports. A spec resolved through `ssh -G` carries
   * its known_hosts files and StrictHostKeyChecking; one that was not (OpenSSH absent, the API) falls
   * back to the inventory's ssh arguments.
   */
  private hostKeyPolicy(spec: ConnectionSpec) {
    const args = parseSshCommonArgs(spec.sshCommonArgs);
    const resolved = spec.knownHostsFiles !== undefined;
    let strict = resolved ? spec.strictHostKeyChecking : args.strictHostKeyChecking;
    const fallbackFile = this.options.knownHostsFile ?? defaultKnownHostsFile();
    let files = resolved ? [...(spec.knownHostsFiles ?? [])] : [args.userKnownHostsFile ?? fallbackFile];
    if (!this.options.inventoryMayWeakenHostKeys) {
      // Ignored (the CLI warns): keys are checked as if the inventory or ssh config had not asked.
      if (strict === 'no' || strict === 'off') strict = undefined;
      files = files.filter((f) => f !== '/dev/null');
      if (!files.length) files = [fallbackFile];
    }
    // StrictHostKeyChecking=no is treated as accept-new: a *changed* key is never accepted.
    const acceptNew =
      strict === 'no' || strict === 'accept-new' || strict === 'off'
        ? true
        : strict === 'yes'
          ? false
          : !!this.options.acceptNew;
    const global = (spec.globalKnownHostsFiles ?? []).filter((f) => !files.includes(f));
    return { acceptNew, files, global };
  }

  /** Host-key store and jumps of one host on the ssh2 transport. */
  private policy(spec: ConnectionSpec) {
    const { acceptNew, files, global } = this.hostKeyPolicy(spec);
    const store: HostKeyStore =
      files.length === 1 && !global.length
        ? this.store(files[0] as string)
        : new KnownHostsSet(
            files.map((f) => this.store(f)),
            global.map((f) => this.store(f)),
          );
    const jump = spec.jump ?? parseSshCommonArgs(spec.sshCommonArgs).proxyJump ?? [];
    return { acceptNew, store, jump: jump.map(parseJumpHop) };
  }

  /** The system OpenSSH client for this host: ssh runs Ansible's command line, with our host-key policy first. */
  private openssh(spec: ConnectionSpec, command: NonNullable<ConnectionSpec['sshCommand']>): Transport {
    const { acceptNew, files } = this.hostKeyPolicy(spec);
    const o = this.options;
    return new OpenSshTransport(
      { name: spec.name, destination: command.destination, args: command.args },
      {
        acceptNew,
        knownHostsFiles: files,
        connectTimeoutMs: connectTimeoutFor(spec, o.connectTimeoutMs),
        keepaliveIntervalMs: o.keepaliveIntervalMs ?? spec.keepaliveIntervalMs ?? KEEPALIVE_INTERVAL_MS,
      },
    );
  }

  /** Timeouts: the session's options (the command line) first, then the host's ssh config, then ours. */
  private base(spec?: ConnectionSpec) {
    const o = this.options;
    return {
      limiter: this.limiter,
      connectTimeoutMs: spec ? connectTimeoutFor(spec, o.connectTimeoutMs) : (o.connectTimeoutMs ?? 10_000),
      keepaliveIntervalMs: o.keepaliveIntervalMs ?? spec?.keepaliveIntervalMs ?? KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: o.keepaliveCountMax ?? spec?.keepaliveCountMax ?? KEEPALIVE_COUNT_MAX,
      retries: o.handshakeRetries ?? 6,
    };
  }

  private agent(): string | undefined {
    return this.options.agent === false ? undefined : (this.options.agent ?? process.env.SSH_AUTH_SOCK) || undefined;
  }

  private async connectHost(spec: ConnectionSpec, options?: ConnectOptions): Promise<ClientType> {
    const policy = this.policy(spec);
    const auth = await authMethods(this.keys, {
      hostName: spec.name,
      user: spec.user,
      privateKeyFile: spec.privateKeyFile,
      ...(spec.identityFiles ? { identityFiles: spec.identityFiles } : {}),
      password: spec.password,
      // IdentitiesOnly: the key files only, not whatever else the agent holds.
      agent: spec.identitiesOnly ? undefined : this.agent(),
    });
    const via = policy.jump.length ? await this.jumpClient(spec, policy.jump, policy) : undefined;
    return handshake({
      ...this.base(spec),
      hostName: spec.name,
      address: spec.address,
      port: spec.port,
      user: spec.user,
      auth,
      knownHosts: policy.store,
      acceptNew: policy.acceptNew,
      ...(options?.replaceHostKey ? { replaceHostKey: options.replaceHostKey } : {}),
      ...(via ? { makeSock: () => tunnel(via.client, spec.name, via.label, spec.address, spec.port) } : {}),
    });
  }

  /** The pooled connection to the last hop of `chain` (connecting the hops before it as needed). */
  private async jumpClient(spec: ConnectionSpec, chain: JumpHop[], policy: ReturnType<SshSession['policy']>) {
    let prev: { client: ClientType; label: string } | undefined;
    let key = `${spec.privateKeyFile ?? ''}|`;
    for (const hop of chain) {
      const user = hop.user ?? spec.user;
      const label = `${user}@${hop.host}:${hop.port}`;
      key += `>${label}`;
      let p = this.jumps.get(key);
      if (!p) {
        const before = prev;
        const poolKey = key;
        p = (async () => {
          // Jump hosts use the key file and agent, never the target's password.
          const auth = await authMethods(this.keys, {
            hostName: label,
            user,
            privateKeyFile: spec.privateKeyFile,
            agent: this.agent(),
          });
          const client = await handshake({
            ...this.base(),
            hostName: label,
            address: hop.host,
            port: hop.port,
            user,
            auth,
            knownHosts: policy.store,
            acceptNew: policy.acceptNew,
            ...(before ? { makeSock: () => tunnel(before.client, label, before.label, hop.host, hop.port) } : {}),
          });
          client.on('error', () => undefined);
          client.once('close', () => this.jumps.get(poolKey) === p && this.jumps.delete(poolKey));
          return client;
        })();
        this.jumps.set(key, p);
        p.catch(() => this.jumps.get(poolKey) === p && this.jumps.delete(poolKey));
      }
      try {
        prev = { client: await p, label };
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new ConnectionError(spec.name, `jump host ${label} failed: ${why}`, 'jump', { cause: err });
      }
    }
    return prev as { client: ClientType; label: string };
  }
}

/** A TCP tunnel through `via` to address:port, usable as the socket of the next SSH connection. */
function tunnel(via: ClientType, hostName: string, viaLabel: string, address: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    try {
      via.forwardOut('127.0.0.1', 0, address, port, (err, ch) =>
        err
          ? reject(
              new ConnectionError(
                hostName,
                `jump host ${viaLabel} could not open a tunnel to ${address}:${port}: ${err.message}`,
                'jump',
                { cause: err },
              ),
            )
          : resolve(ch),
      );
    } catch (err) {
      reject(
        new ConnectionError(hostName, `jump host ${viaLabel} is not connected: ${(err as Error).message}`, 'jump', {
          cause: err,
        }),
      );
    }
  });
}

/**
 * Convenience for one host: a Transport with its own private session (no sharing across hosts);
 * closing the transport also closes its jump connections. For a fleet, use one SshSession.
 */
export function createSshTransport(spec: ConnectionSpec, options: SshOptions = {}): Transport {
  const session = new SshSession(options);
  const transport = session.transport(spec);
  const closeHost = transport.close.bind(transport);
  transport.close = async () => {
    await closeHost();
    await session.close();
  };
  return transport;
}
