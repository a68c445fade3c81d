/**
 * The ssh(1) command line Ansible's ssh connection would build for a host: its options in Ansible's
 * order (ssh_connection.ssh_args, Port, IdentityFile, User, ConnectTimeout, then
 * ansible_ssh_common_args and ansible_ssh_extra_args) and the destination (ansible_host, else the
 * inventory name). ssh keeps the first value it sees of an option, so this order is Ansible's
 * precedence: inventory variables beat ~/.ssh/config, ssh_args beat both. Only what the inventory (or
 * the command line) actually set is passed; the rest is left to the user's ssh config, as with Ansible.
 */
import type { Host } from '../core/host.js';
import { InputError } from '../core/errors.js';
import { ShlexError, shlexSplit } from './shlex.js';

export interface SshCommandDefaults {
  /** `--user`: Ansible's remote_user, below the inventory's ansible_user. */
  user?: string;
  /** `--key`: used when the inventory names no key file. */
  privateKeyFile?: string;
  /** ansible.cfg `[ssh_connection] ssh_args`: before everything else. */
  sshArgs?: string;
  /** `--jump`: used when the inventory's arguments name no jump host. */
  jump?: string[];
}

/** What Ansible would run `ssh` with, minus the command: `ssh ARGS -- DESTINATION`. */
export interface SshCommand {
  destination: string;
  args: string[];
}

function first(vars: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (vars[k] !== undefined && vars[k] !== null) return vars[k];
  return undefined;
}

function words(text: string, host: string, what: string): string[] {
  try {
    return shlexSplit(text);
  } catch (e) {
    if (e instanceof ShlexError) throw new InputError(`${host}: cannot parse ${what}: ${e.message}`);
    throw e;
  }
}

export function ansibleSshCommand(host: Host, defaults: SshCommandDefaults = {}): SshCommand {
  const v = host.vars;
  const args: string[] = [];
  if (defaults.sshArgs) args.push(...words(defaults.sshArgs, host.name, 'ssh_args'));
  const port = first(v, 'ansible_port', 'ansible_ssh_port');
  if (port !== undefined) args.push('-o', `Port=${String(port)}`);
  const key = first(v, 'ansible_ssh_private_key_file', 'ansible_private_key_file') ?? defaults.privateKeyFile;
  if (key !== undefined) args.push('-o', `IdentityFile=${String(key)}`);
  const user = first(v, 'ansible_user', 'ansible_ssh_user') ?? defaults.user;
  if (user !== undefined) args.push('-o', `User=${String(user)}`);
  const timeout = first(v, 'ansible_timeout', 'ansible_ssh_timeout');
  if (timeout !== undefined) args.push('-o', `ConnectTimeout=${String(timeout)}`);
  const common = first(v, 'ansible_ssh_common_args');
  if (common !== undefined) args.push(...words(String(common), host.name, 'ansible_ssh_common_args'));
  const extra = first(v, 'ansible_ssh_extra_args');
  if (extra !== undefined) args.push(...words(String(extra), host.name, 'ansible_ssh_extra_args'));
  if (defaults.jump?.length && !args.some((a) => /^-J|proxyjump|proxycommand/i.test(a)))
    args.push('-o', `ProxyJump=${defaults.jump.join(',')}`);
  return { destination: String(first(v, 'ansible_host', 'ansible_ssh_host') ?? host.name), args };
}
