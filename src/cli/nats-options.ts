/**
 * The NATS options `run` and `worker` share: where the bus is and how to authenticate to it. The
 * password is read from an environment variable, never taken on the command line.
 */
import type { Command } from 'commander';
import type { BusOptions } from '../bus/connect.js';
import { NATS_PASSWORD_ENV } from '../bus/names.js';
import { InputError } from '../core/index.js';

export interface NatsCliOptions {
  nats?: string;
  natsUser?: string;
  natsNkey?: string;
  natsCreds?: string;
  natsTlsCa?: string;
  natsTlsCert?: string;
  natsTlsKey?: string;
  natsDomain?: string;
}

export function addNatsOptions(cmd: Command, what: string): Command {
  return cmd
    .option('--nats <url[,url…]>', what)
    .option('--nats-user <name>', `NATS user; the password is read from ${NATS_PASSWORD_ENV}`)
    .option('--nats-nkey <seed-file>', 'authenticate to NATS with the NKEY seed in this file')
    .option('--nats-creds <file>', 'authenticate to NATS with this credentials file (JWT and seed)')
    .option('--nats-tls-ca <file>', 'CA certificate the NATS server is verified against')
    .option('--nats-tls-cert <file>', 'client certificate for NATS (with --nats-tls-key)')
    .option('--nats-tls-key <file>', 'client key for NATS')
    .option(
      '--nats-domain <domain>',
      "the hub's JetStream domain (needed when connecting to a leaf node that has no JetStream of its own)",
    );
}

export function busOptionsFrom(o: NatsCliOptions & { nats: string }, name: string, inboxPrefix?: string): BusOptions {
  if (!o.natsTlsCert !== !o.natsTlsKey)
    throw new InputError('--nats-tls-cert and --nats-tls-key go together: the client certificate and its key');
  const password = process.env[NATS_PASSWORD_ENV];
  const tls =
    o.natsTlsCa || o.natsTlsCert || o.natsTlsKey
      ? {
          ...(o.natsTlsCa ? { caFile: o.natsTlsCa } : {}),
          ...(o.natsTlsCert ? { certFile: o.natsTlsCert } : {}),
          ...(o.natsTlsKey ? { keyFile: o.natsTlsKey } : {}),
        }
      : undefined;
  return {
    servers: o.nats,
    name,
    ...(o.natsUser !== undefined ? { user: o.natsUser, ...(password !== undefined ? { password } : {}) } : {}),
    ...(o.natsNkey ? { nkeySeedFile: o.natsNkey } : {}),
    ...(o.natsCreds ? { credsFile: o.natsCreds } : {}),
    ...(tls ? { tls } : {}),
    ...(o.natsDomain ? { domain: o.natsDomain } : {}),
    ...(inboxPrefix ? { inboxPrefix } : {}),
  };
}
