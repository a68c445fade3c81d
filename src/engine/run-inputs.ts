/**
 * What a run was started with, journaled as its second event (`run.inputs`) so that `resume` needs
 * nothing but the run directory: the runbook as loaded (and the SHA-256 of its file), the params, the
 * selected hosts as the inventory gave them, and the options that shape the plan and the connections.
 * Secrets are never in it: inventory passwords and variables that came from Ansible Vault are
 * dropped here (the names of the vaulted ones are kept), the become password and key passphrases
 * are asked again (or read from the same environment) by `resume`.
 */
import { z } from 'zod';
import type { Host, PhaseName } from '../core/index.js';
import type { OutputLimits } from './executor-types.js';

/** Bumped when a journaled plan could not be resumed by a later firebreak as it is. */
export const RUN_INPUTS_FORMAT = 1;

/** Inventory variables that hold secrets: never journaled, redacted wherever they appear. */
export const SECRET_HOST_VARS: readonly string[] = [
  'ansible_password',
  'ansible_ssh_pass',
  'ansible_ssh_password',
  'ansible_become_pass',
  'ansible_become_password',
];

const record = z.record(z.string(), z.unknown());

export const runInputsSchema = z.object({
  format: z.literal(RUN_INPUTS_FORMAT),
  firebreakVersion: z.string(),
  runbook: z.object({
    /** The file as given, and the SHA-256 of its bytes when it was read (none for a runbook given as an object). */
    file: z.string(),
    sha256: z.string().optional(),
    /** Absolute directory of the file: relative `script`/`upload` paths resolve against it. */
    dir: z.string(),
    /** The runbook after loading and validation. */
    loaded: record,
  }),
  params: record,
  hosts: z.array(
    z.object({
      name: z.string(),
      vars: record,
      groups: z.array(z.string()),
      /** Names of variables left out because they came from vault. */
      vaultedVars: z.array(z.string()).optional(),
    }),
  ),
  groups: z.record(z.string(), z.array(z.string())).optional(),
  options: z.object({
    forks: z.number().optional(),
    evidenceChannels: z.number().optional(),
    tags: z.array(z.string()).optional(),
    skipTags: z.array(z.string()).optional(),
    phases: z.array(z.string()).optional(),
    outputLimits: record.optional(),
    ssh: z.object({
      knownHostsFile: z.string().optional(),
      acceptNew: z.boolean().optional(),
      connectTimeoutMs: z.number().optional(),
      keepaliveIntervalMs: z.number().optional(),
      maxHandshakesPerTarget: z.number().optional(),
      inventoryMayWeakenHostKeys: z.boolean().optional(),
    }),
    connection: z.object({
      user: z.string().optional(),
      privateKeyFile: z.string().optional(),
      jump: z.array(z.string()).optional(),
      /** ansible.cfg's ssh_args, which come before each host's own. */
      sshArgs: z.string().optional(),
    }),
    caseRecord: z.object({ caseId: z.string().optional(), examiner: z.string().optional() }).optional(),
    transport: z.enum(['auto', 'ssh2', 'openssh']).optional(),
  }),
});

export type RunInputs = z.infer<typeof runInputsSchema>;

/** Whether a host variable is a secret: a password variable, or any variable whose value came from vault. */
export function isSecretVar(host: Host, key: string): boolean {
  return SECRET_HOST_VARS.includes(key) || (host.vaultedVars?.includes(key) ?? false);
}

/** A host as journaled: its secret variables left out (the vaulted ones named). */
export function hostSnapshot(host: Host): Host {
  const vars = Object.fromEntries(Object.entries(host.vars).filter(([k]) => !isSecretVar(host, k)));
  return {
    name: host.name,
    vars,
    groups: [...host.groups],
    ...(host.vaultedVars?.length ? { vaultedVars: [...host.vaultedVars] } : {}),
  };
}

/** The hosts with the secret variables of the same-named hosts of a freshly read inventory put back. */
export function withSecretVars(hosts: readonly Host[], inventory: readonly Host[]): Host[] {
  const byName = new Map(inventory.map((h) => [h.name, h]));
  return hosts.map((h) => {
    const from = byName.get(h.name);
    if (!from) return h;
    const secrets = Object.fromEntries(Object.entries(from.vars).filter(([k]) => isSecretVar(from, k)));
    return { ...h, vars: { ...h.vars, ...secrets } };
  });
}

/** The options part, typed for the engine. */
export interface RunInputOptions {
  forks?: number;
  evidenceChannels?: number;
  tags?: string[];
  skipTags?: string[];
  phases?: PhaseName[];
  outputLimits?: Partial<OutputLimits>;
}
