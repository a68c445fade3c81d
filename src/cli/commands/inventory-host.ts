/**
 * `firebreak inventory host HOST -i INV [--json]`: one host's merged variables and the connection
 * firebreak will make to it (ssh config applied, transport chosen), before anything connects.
 */
import type { Command } from 'commander';
import { InputError, terminalSafe, type ConnectionSpec, type TransportChoice } from '../../core/index.js';
import { hostConnections } from '../../engine/connections.js';
import { SECRET_HOST_VARS } from '../../engine/run-inputs.js';
import { addVaultOptions, collect, loadHosts, transportOption, type InventoryOptions } from '../common.js';

interface HostOptions extends InventoryOptions {
  json?: boolean;
  transport?: TransportChoice;
  knownHosts?: string;
  user?: string;
  privateKey?: string;
  jump?: string[];
}

export function registerInventoryHost(inv: Command): void {
  addVaultOptions(inv.command('host'))
    .description("one host's merged variables and the connection firebreak will make to it (nothing connects)")
    .argument('<host>', 'inventory name of the host')
    .option('-i, --inventory <path>', 'inventory file or directory (repeatable)', collect)
    .option('--json', 'print as JSON')
    .option('--transport <auto|ssh2|openssh>', 'as for run', transportOption, 'auto')
    .option('--known-hosts <file>', 'as for run')
    .option('-u, --user <user>', 'as for run')
    .option('--private-key <file>', 'as for run')
    .option('--jump <user@host[:port]>', 'as for run (repeatable)', collect)
    .action(async (name: string, opts: HostOptions) => {
      const { hosts, warnings } = await loadHosts(opts);
      const host = hosts.find((h) => h.name === name);
      if (!host) throw new InputError(`no host named ${JSON.stringify(name)} in ${opts.inventory?.join(', ')}`);
      const warn = (w: string) => warnings.push(w);
      const specs = await hostConnections(
        [host],
        { user: opts.user, privateKeyFile: opts.privateKey, jump: opts.jump },
        {
          ...(opts.transport ? { transport: opts.transport } : {}),
          ...(opts.knownHosts ? { knownHostsFile: opts.knownHosts } : {}),
          warn,
        },
      );
      for (const w of warnings) process.stderr.write(`warning: ${terminalSafe(w)}\n`);
      const view = {
        host: host.name,
        groups: host.groups,
        vars: redacted(host.vars, host.vaultedVars ?? []),
        connection: connectionView(specs.get(host.name) as ConnectionSpec),
      };
      process.stdout.write(opts.json ? JSON.stringify(view, null, 2) + '\n' : terminalSafe(hostText(view)));
    });
}

/** Secrets (passwords, vaulted values) never leave the process, not even to the responder's own terminal. */
function redacted(vars: Record<string, unknown>, vaulted: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(vars).map(([k, v]) => [
      k,
      vaulted.includes(k) ? '<vaulted>' : SECRET_HOST_VARS.includes(k) ? '<secret>' : v,
    ]),
  );
}

/** The connection as a responder reads it: no secret, nothing undefined. */
export function connectionView(spec: ConnectionSpec): Record<string, unknown> {
  const view: Record<string, unknown> = {
    transport: spec.transportReason ?? spec.transport ?? 'ssh2',
    address: spec.address,
    port: spec.port,
    user: spec.user,
    identities: [...(spec.privateKeyFile ? [spec.privateKeyFile] : []), ...(spec.identityFiles ?? [])],
    identitiesOnly: spec.identitiesOnly ?? false,
    certificates: spec.certificateFiles ?? [],
    jump: spec.jump ?? [],
    proxyCommand: spec.proxyCommand ?? null,
    knownHostsFiles: spec.knownHostsFiles ?? [],
    globalKnownHostsFiles: spec.globalKnownHostsFiles ?? [],
    strictHostKeyChecking: spec.strictHostKeyChecking ?? null,
    connectTimeoutSec: spec.connectTimeoutMs !== undefined ? spec.connectTimeoutMs / 1000 : null,
    serverAliveIntervalSec: spec.keepaliveIntervalMs !== undefined ? spec.keepaliveIntervalMs / 1000 : null,
    password: spec.password !== undefined ? '<set>' : null,
    become: spec.become ? { user: spec.become.user, method: spec.become.method } : null,
    settingsFrom: spec.sshConfigSource ?? 'the inventory only',
  };
  if (spec.sshCommand) view.sshCommand = ['ssh', ...spec.sshCommand.args, '--', spec.sshCommand.destination];
  return view;
}

function hostText(v: {
  host: string;
  groups: string[];
  vars: Record<string, unknown>;
  connection: Record<string, unknown>;
}): string {
  const lines = [`host ${v.host}`, `  groups: ${v.groups.join(', ') || '(none but all)'}`, '  vars:'];
  for (const [k, val] of Object.entries(v.vars).sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`    ${k}: ${JSON.stringify(val)}`);
  lines.push('  connection:');
  for (const [k, val] of Object.entries(v.connection))
    lines.push(
      `    ${k}: ${Array.isArray(val) ? val.join(' ') || '-' : val === null ? '-' : typeof val === 'object' ? JSON.stringify(val) : String(val)}`,
    );
  return lines.join('\n') + '\n';
}
