/**
 * Option parsing and loading shared by the commands: inventories, host selection, params.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { InputError, TRANSPORT_CHOICES, type Host, type TransportChoice } from '../core/index.js';
import {
  loadInventory,
  readVaultPasswordFile,
  selectHosts,
  unhonouredVarWarnings,
  type Inventory,
} from '../inventory/index.js';
import { askSecret } from './prompt.js';
import { parseExtraVars, readParamsFile, resolveParams, type ParamOverride, type ParamSpec } from '../runbook/index.js';

/** commander collector for repeatable options (`-i a -i b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** commander parser for `--transport`. */
export function transportOption(value: string): TransportChoice {
  if (!(TRANSPORT_CHOICES as readonly string[]).includes(value))
    throw new InputError(`--transport must be one of ${TRANSPORT_CHOICES.join(', ')}, got "${value}"`);
  return value as TransportChoice;
}

/** commander parser for a whole number option that may be 0. */
export function wholeNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || value.trim() === '')
      throw new InputError(`${name} must be a whole number (0 or more), got "${value}"`);
    return n;
  };
}

/** commander parser for a positive integer option. */
export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InputError(`${name} must be a positive whole number, got "${value}"`);
    return n;
  };
}

export interface VaultOptions {
  vaultPasswordFile?: string;
  askVaultPass?: boolean;
}

export interface InventoryOptions extends VaultOptions {
  inventory?: string[];
  limit?: string;
}

/** The options that give the vault password for inventories, group_vars and `!vault` values. */
export function addVaultOptions(cmd: Command): Command {
  return cmd
    .option(
      '--vault-password-file <file>',
      'vault password file (an executable one is run); default $ANSIBLE_VAULT_PASSWORD_FILE',
    )
    .option('-J, --ask-vault-pass', 'ask for the vault password');
}

/**
 * The vault password, as Ansible finds it: --vault-password-file, else --ask-vault-pass, else
 * $ANSIBLE_VAULT_PASSWORD_FILE; none is fine until a vaulted value is met.
 */
export async function vaultPassword(opts: VaultOptions): Promise<string | undefined> {
  const file = opts.vaultPasswordFile ?? (process.env['ANSIBLE_VAULT_PASSWORD_FILE'] || undefined);
  if (opts.vaultPasswordFile === undefined && opts.askVaultPass) {
    const typed = (await askSecret('Vault password: ')).trim();
    if (typed === '') throw new InputError('empty vault password');
    return typed;
  }
  return file !== undefined ? readVaultPasswordFile(file) : undefined;
}

/** Load every `-i` source and select hosts with Ansible's pattern + `--limit` semantics. */
export async function loadHosts(
  opts: InventoryOptions,
  pattern = 'all',
): Promise<{ inventory: Inventory; hosts: Host[]; warnings: string[] }> {
  if (!opts.inventory?.length)
    throw new InputError(
      'no inventory given: pass -i FILE (an Ansible INI or YAML inventory), or set inventory in ansible.cfg or $ANSIBLE_INVENTORY',
    );
  const password = await vaultPassword(opts);
  const inventory = await loadInventory(opts.inventory, password !== undefined ? { vaultPassword: password } : {});
  const warnings: string[] = [...inventory.warnings];
  const hosts = selectHosts(inventory, pattern, opts.limit, (w) => warnings.push(w));
  warnings.push(...unhonouredVarWarnings(hosts));
  return { inventory, hosts, warnings };
}

/** Group name -> host names, for `{{groups.x}}` in templates. */
export function groupMap(inventory: Inventory): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name] of inventory.groups) out[name] = selectHosts(inventory, name).map((h) => h.name);
  return out;
}

export interface ParamOptions {
  extraVars?: string[];
  params?: string[];
}

/** Defaults, then `--params` files, then `-e` values, in the order given. */
export function resolveRunParams(
  specs: Record<string, ParamSpec> | undefined,
  opts: ParamOptions,
): Record<string, unknown> {
  const overrides: ParamOverride[] = [
    ...(opts.params ?? []).flatMap((f) => readParamsFile(f)),
    ...parseExtraVars(opts.extraVars ?? []),
  ];
  return resolveParams(specs, overrides);
}

/** Read a file of secrets or fail with a clear message. */
export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** How hosts are reached and verified: the options `run` and `worker` share. */
export function addSshOptions(cmd: Command): Command {
  return cmd
    .option('--known-hosts <file>', 'OpenSSH known_hosts file to verify host keys against (default ~/.ssh/known_hosts)')
    .option('--accept-new', 'trust unknown host keys on first use and record them (changed keys are always refused)')
    .option(
      '--transport <auto|ssh2|openssh>',
      'how hosts are reached: ssh2 in-process, or the system OpenSSH client (auto: ssh2 unless the host needs OpenSSH; a host var firebreak_transport beats it)',
      transportOption,
      'auto',
    )
    .option('--jump <user@host[:port]>', 'reach hosts through this jump host (repeatable for a chain)', collect)
    .option('-u, --user <user>', 'remote user when the inventory sets none')
    .option('--private-key <file>', 'private key when the inventory sets none')
    .option(
      '--connect-timeout <seconds>',
      'TCP + SSH handshake timeout per attempt',
      positiveInt('--connect-timeout'),
      10,
    )
    .option(
      '--keepalive <seconds>',
      'SSH keepalive interval: a host that answers none of 3 in a row is lost (a network cut shows in ~15-20 s; 0: off, TCP decides). Default 5, or ServerAliveInterval from ssh config',
      wholeNumber('--keepalive'),
    );
}
