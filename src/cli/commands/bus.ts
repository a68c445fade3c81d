/**
 * `firebreak bus auth-config --segment a --segment b`: the NATS hub configuration a distributed run
 * needs — JetStream with its domain, a leaf node port, and the authorization block that lets each
 * segment's workers take only their own work. Passwords are nats-server environment references,
 * never values: the responder sets them on the hub and gives each segment its own.
 */
import type { Command } from 'commander';
import { authConfig, DEFAULT_DOMAIN } from '../../bus/auth-config.js';
import { checkSegment } from '../../bus/names.js';
import { InputError } from '../../core/index.js';
import { collect } from '../common.js';

interface AuthConfigOptions {
  segment?: string[];
  domain: string;
}

export function registerBus(program: Command): void {
  const bus = program.command('bus').description('set up the NATS JetStream hub of distributed runs');
  bus
    .command('auth-config')
    .description('print a hub configuration (JetStream domain, leaf nodes, per-segment users) for nats-server -c')
    .option('--segment <name>', 'a network segment with workers (repeatable)', collect)
    .option(
      '--domain <domain>',
      "the hub's JetStream domain (leaf-node clients pass it as --nats-domain)",
      DEFAULT_DOMAIN,
    )
    .action((opts: AuthConfigOptions) => {
      process.stdout.write(hubConfig(opts));
    });
}

function hubConfig(opts: AuthConfigOptions): string {
  const segments = opts.segment ?? [];
  if (segments.length === 0) throw new InputError('bus auth-config: name at least one --segment');
  const env = (s: string): string => `$FIREBREAK_NATS_PW_${s.toUpperCase().replace(/-/g, '_')}`;
  const users = Object.fromEntries(
    segments.map((s) => [checkSegment(s, '--segment'), { user: `seg-${s}`, password: env(s) }]),
  );
  return [
    '# nats-server -c hub.conf   (passwords come from the environment variables named below)',
    'listen: "0.0.0.0:4222"',
    'jetstream {',
    '  store_dir: "/var/lib/nats"',
    `  domain: "${opts.domain}"`,
    '  # one server, no cluster: nats-server >= 2.10 can make every write durable before it is acked',
    '  # sync_interval: always',
    '}',
    '# leaf nodes inside each segment connect out to this port, as their segment user:',
    '#   leafnodes { remotes = [ { url: "nats-leaf://seg-NAME:PASSWORD@hub:7422" } ] }',
    'leafnodes { listen: "0.0.0.0:7422" }',
    authConfig({
      controller: { user: 'controller', password: env('controller') },
      segments: users,
      domain: opts.domain,
    }),
    '',
  ].join('\n');
}
