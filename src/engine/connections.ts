/**
 * Each host's connection as firebreak will make it: the inventory's variables (Ansible's names and
 * precedence), the ssh command Ansible would run for it, OpenSSH's own config applied (`ssh -G`), and
 * the transport that can do it. `firebreak run` connects with these; `firebreak inventory host` shows them.
 */
import { TRANSPORT_VAR, type ConnectionSpec, type Host } from '../core/index.js';
import { ansibleSshCommand, connectionSpec, type ConnectionDefaults } from '../inventory/index.js';
import { resolveConnections, type ResolveOptions } from '../transport/index.js';

/** Fallbacks for what the inventory does not say (`--user`, `--private-key`, `--jump`, ansible.cfg ssh_args). */
export type ConnectionFallbacks = ConnectionDefaults & { jump?: string[]; privateKeyFile?: string };

/** The inventory's view alone (no ssh config): what a run uses when it was not resolved. */
export function inventorySpec(host: Host, fallback: ConnectionFallbacks = {}): ConnectionSpec {
  const spec = connectionSpec(host, fallback);
  if (fallback.jump && !spec.jump) spec.jump = fallback.jump;
  if (fallback.privateKeyFile && !spec.privateKeyFile) spec.privateKeyFile = fallback.privateKeyFile;
  if (spec.transport !== 'local') spec.sshCommand = ansibleSshCommand(host, fallback);
  return spec;
}

export async function hostConnections(
  hosts: readonly Host[],
  fallback: ConnectionFallbacks = {},
  options: ResolveOptions = {},
): Promise<Map<string, ConnectionSpec>> {
  const specs = await resolveConnections(
    hosts.map((h) => ({ spec: inventorySpec(h, fallback), hostTransport: h.vars[TRANSPORT_VAR] })),
    options,
  );
  return new Map(specs.map((s) => [s.name, s]));
}
