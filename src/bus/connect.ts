/**
 * Connecting to NATS, for the controller and for workers alike: servers, authentication (user and
 * password, an NKEY seed or a credentials file) and TLS. The password comes from an environment
 * variable, never from the command line (where `ps` would show it), and is never logged.
 */
import { readFileSync } from 'node:fs';
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type ConnectionOptions,
  type NatsConnection,
} from '@nats-io/transport-node';
import { EnvironmentError, InputError } from '../core/index.js';
import { NATS_PASSWORD_ENV } from './names.js';

export interface BusOptions {
  /** One URL or several, comma-separated (`nats://hub-a:4222,nats://hub-b:4222`). */
  servers: string;
  user?: string;
  password?: string;
  /** A file holding an NKEY seed (`SU…`). */
  nkeySeedFile?: string;
  /** A NATS credentials file (JWT and seed). */
  credsFile?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** What the server shows for this client (`firebreak-worker eu-west@host`). */
  name?: string;
  /** First connection: give up after this long (default 10 s). Later drops reconnect without end. */
  connectTimeoutMs?: number;
  /** The hub's JetStream domain: needed by clients of a leaf node (which has no JetStream of its own). */
  domain?: string;
  /** Replies come to subjects under this prefix (per-segment permissions allow only the segment's). */
  inboxPrefix?: string;
}

export async function connectBus(o: BusOptions): Promise<NatsConnection> {
  const servers = o.servers
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (servers.length === 0) throw new InputError('--nats: no server given');
  if (o.password !== undefined && o.user === undefined)
    throw new InputError(`a NATS password (${NATS_PASSWORD_ENV}) needs a user (--nats-user)`);
  const options: ConnectionOptions = {
    servers,
    name: o.name ?? 'firebreak',
    timeout: o.connectTimeoutMs ?? 10_000,
    // A run outlives a restarting NATS server: reconnect for as long as it takes, buffering meanwhile.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: false,
    ...(o.inboxPrefix ? { inboxPrefix: o.inboxPrefix } : {}),
    ...(o.user !== undefined ? { user: o.user, pass: o.password ?? '' } : {}),
    ...(o.nkeySeedFile ? { authenticator: nkeyAuthenticator(readSecretFile(o.nkeySeedFile, 'NKEY seed')) } : {}),
    ...(o.credsFile ? { authenticator: credsAuthenticator(readSecretFile(o.credsFile, 'credentials')) } : {}),
    ...(o.tls ? { tls: { ...o.tls } } : {}),
  };
  try {
    return await connect(options);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new EnvironmentError(
      `cannot connect to NATS at ${servers.join(', ')}: ${why} (is the server running and reachable, are the credentials right?)`,
      { cause: err },
    );
  }
}

function readSecretFile(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    throw new InputError(`cannot read the NATS ${what} file ${path}: ${(err as Error).message}`);
  }
}
