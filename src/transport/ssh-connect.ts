/**
 * One SSH handshake to one sshd, the way a fleet needs it: host key checked against known_hosts
 * (known key types preferred in negotiation, like OpenSSH), at most N concurrent handshakes per
 * target sshd, and a bounded, jittered retry when sshd drops us before the handshake even started
 * (OpenSSH `MaxStartups` random early drop). Every failure becomes a ConnectionError with a reason.
 */
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AuthMethod, Client as ClientType, ConnectConfig } from 'ssh2';
import { ConnectionError } from '../core/errors.js';
import type { ConnectOptions } from '../core/transport.js';
import type { HostKeyStore } from './known-hosts-set.js';
import { backoffMs, type KeyedLimiter } from './limiter.js';
import { blobKeyType, fingerprint } from './known-hosts.js';

const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];
const KEY_TYPE_OF_ALGORITHM: Record<string, string> = { 'rsa-sha2-512': 'ssh-rsa', 'rsa-sha2-256': 'ssh-rsa' };

/** Put algorithms for key types known_hosts already has for this host first. */
export function preferredHostKeyAlgorithms(knownTypes: string[]): string[] {
  const known = (a: string) => knownTypes.includes(KEY_TYPE_OF_ALGORITHM[a] ?? a);
  return [...HOST_KEY_ALGORITHMS.filter(known), ...HOST_KEY_ALGORITHMS.filter((a) => !known(a))];
}

export interface HandshakeParams {
  /** Inventory name, for messages. */
  hostName: string;
  address: string;
  port: number;
  user: string;
  auth: AuthMethod[];
  knownHosts: HostKeyStore;
  acceptNew: boolean;
  /** Accept and record a changed host key (a reinstalled host, rebuild step only). */
  replaceHostKey?: ConnectOptions['replaceHostKey'];
  limiter: KeyedLimiter;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** Retries after a drop before the handshake started. */
  retries: number;
  /** A fresh tunnel per attempt when going through a jump host. */
  makeSock?: () => Promise<Duplex>;
}

type SshError = Error & { level?: string; code?: string };

/** Map an ssh2/socket error to a ConnectionError reason. */
export function mapConnectError(hostName: string, err: SshError, target: string): ConnectionError {
  if (err instanceof ConnectionError) return err;
  const msg = err.message;
  const code = err.code ?? '';
  const say = (text: string, reason: ConnectionError['reason']) =>
    new ConnectionError(hostName, text, reason, { cause: err });
  if (err.level === 'client-authentication') return say(`authentication failed for ${target} (${msg})`, 'auth');
  if (err.level === 'client-timeout' || code === 'ETIMEDOUT')
    return say(`timed out connecting to ${target} (${msg})`, 'timeout');
  if (code === 'ECONNREFUSED') return say(`connection refused by ${target}`, 'refused');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || err.level === 'client-dns')
    return say(`cannot resolve ${target} (${msg})`, 'dns');
  if (code === 'ECONNRESET' || code === 'EPIPE' || /before handshake|closed|ended/i.test(msg))
    return say(`connection to ${target} closed during handshake (${msg})`, 'closed');
  if (/no matching (key exchange|host key|cipher|mac)/i.test(msg))
    return say(
      `cannot connect to ${target}: ${msg}: the server offers only algorithms the ssh2 transport lacks ` +
        `(e.g. post-quantum key exchange); --transport openssh (or firebreak_transport=openssh) reaches it through the system ssh`,
      'other',
    );
  return say(`cannot connect to ${target}: ${msg}`, 'other');
}

/** Dropped before the SSH handshake started: safe to try again. */
function droppedEarly(err: SshError, verified: boolean): boolean {
  if (verified) return false;
  return err.code === 'ECONNRESET' || err.code === 'EPIPE' || /Connection lost before handshake/i.test(err.message);
}

/** The host key each open connection was verified with (`type SHA256:…`), for the acquisition record. */
const verifiedKeys = new WeakMap<ClientType, string>();

export function verifiedHostKey(client: ClientType): string | undefined {
  return verifiedKeys.get(client);
}

function attempt(p: HandshakeParams, algorithms: string[], sock: Duplex | undefined): Promise<ClientType> {
  const client = new ssh2.Client();
  const target = `${p.address}:${p.port}`;
  let verdict: ConnectionError | undefined;
  let verified = false;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: SshError) => {
      if (settled) return;
      settled = true;
      client.end();
      const e = verdict ?? mapConnectError(p.hostName, err, target);
      (e as SshError & { retryable?: boolean }).retryable = !verdict && droppedEarly(err, verified);
      reject(e);
    };
    client.on('error', fail);
    client.once('close', () =>
      fail(Object.assign(new Error('Connection lost before handshake'), { code: 'ECONNRESET' })),
    );
    client.once('ready', () => {
      settled = true;
      resolve(client);
    });
    const config: ConnectConfig = {
      host: p.address,
      port: p.port,
      username: p.user,
      readyTimeout: p.connectTimeoutMs,
      keepaliveInterval: p.keepaliveIntervalMs,
      keepaliveCountMax: p.keepaliveCountMax,
      authHandler: p.auth,
      algorithms: { serverHostKey: algorithms as never },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        const check = p.replaceHostKey
          ? p.knownHosts
              .replace(p.hostName, p.address, p.port, key)
              .then((change) => change && p.replaceHostKey?.(change))
          : p.knownHosts.verify(p.hostName, p.address, p.port, key, p.acceptNew);
        check.then(
          () => {
            verified = true;
            verifiedKeys.set(client, `${blobKeyType(key)} ${fingerprint(key)}`);
            verify(true);
          },
          (err: unknown) => {
            verdict = err instanceof ConnectionError ? err : new ConnectionError(p.hostName, String(err), 'other');
            verify(false);
          },
        );
      },
      ...(sock ? { sock: sock as never } : {}),
    };
    try {
      client.connect(config);
    } catch (err) {
      fail(err as SshError);
    }
  });
}

/** Open an authenticated connection, or reject with ConnectionError. */
export async function handshake(p: HandshakeParams): Promise<ClientType> {
  const algorithms = preferredHostKeyAlgorithms(await p.knownHosts.knownTypes(p.address, p.port));
  const key = `${p.address}:${p.port}`;
  for (let n = 0; ; n++) {
    try {
      return await p.limiter.run(key, async () => attempt(p, algorithms, p.makeSock ? await p.makeSock() : undefined));
    } catch (err) {
      const retryable = (err as { retryable?: boolean }).retryable === true;
      if (!retryable || n >= p.retries) throw err;
      await new Promise((r) => setTimeout(r, backoffMs(n)));
    }
  }
}
