/**
 * From a host's (already merged) Ansible connection variables to the ConnectionSpec the transport
 * needs: address, port, user, key, password, jump hosts (ProxyJump / `-J` / the classic
 * `ProxyCommand="ssh -W %h:%p bastion"`), and become. Legacy `ansible_ssh_*` names are honoured
 * after the current ones, as in Ansible.
 */
import { homedir, userInfo } from 'node:os';
import type { Become, ConnectionSpec, Host } from '../core/host.js';
import { InputError } from '../core/errors.js';
import { ShlexError, shlexSplit } from './shlex.js';

/** Values used when the inventory does not say. */
export interface ConnectionDefaults {
  /** Remote user (e.g. `--user`); else the local user, like ssh. */
  user?: string;
  /** Port; else 22. */
  port?: number;
  /** ansible.cfg's `[ssh_connection] ssh_args`: the inventory's ssh args come after them (and win). */
  sshArgs?: string;
}

function first(vars: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (vars[k] !== undefined && vars[k] !== null) return vars[k];
  return undefined;
}

/** Ansible's `boolean()` for variables such as ansible_become. */
export function ansibleBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1;
  if (typeof v === 'string') return ['yes', 'on', '1', 'true', 't', 'y'].includes(v.trim().toLowerCase());
  return false;
}

function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? homedir() + p.slice(1) : p;
}

/** The sudo settings of a host (user defaults to root); used when a step asks for become. */
export function becomeSpec(host: Host): Become {
  const v = host.vars;
  const method = first(v, 'ansible_become_method');
  if (method !== undefined && method !== 'sudo') {
    throw new InputError(`${host.name}: ansible_become_method=${String(method)} is not supported (only sudo)`);
  }
  const password = becomePasswordOf(host);
  const b: Become = { user: String(first(v, 'ansible_become_user') ?? 'root'), method: 'sudo' };
  if (password !== undefined) b.password = password;
  return b;
}

/**
 * The sudo password the inventory gives a host, if any. As in Ansible, this host variable beats the
 * password given on the command line (`-K`, the environment), which is only the run-wide default.
 */
export function becomePasswordOf(host: Host): string | undefined {
  const password = first(host.vars, 'ansible_become_password', 'ansible_become_pass');
  return password === undefined ? undefined : String(password);
}

/** Everything the transport needs to reach `host`. Throws InputError for an unusable port or ssh args. */
export function connectionSpec(host: Host, defaults: ConnectionDefaults = {}): ConnectionSpec {
  const v = host.vars;
  const portRaw = first(v, 'ansible_port', 'ansible_ssh_port') ?? defaults.port ?? 22;
  const port = typeof portRaw === 'number' ? portRaw : Number(String(portRaw).trim());
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InputError(`${host.name}: invalid ansible_port ${JSON.stringify(portRaw)}`);
  }
  const spec: ConnectionSpec = {
    name: host.name,
    address: String(first(v, 'ansible_host', 'ansible_ssh_host') ?? host.name),
    port,
    user: String(first(v, 'ansible_user', 'ansible_ssh_user') ?? defaults.user ?? userInfo().username),
  };
  const key = first(v, 'ansible_ssh_private_key_file', 'ansible_private_key_file');
  if (key !== undefined) spec.privateKeyFile = expandHome(String(key));
  const password = first(v, 'ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password');
  if (password !== undefined) spec.password = String(password);
  const common = first(v, 'ansible_ssh_common_args');
  const withDefaults = [defaults.sshArgs, common].filter((a) => a !== undefined).map(String);
  if (withDefaults.length) spec.sshCommonArgs = withDefaults.join(' ');
  const extra = first(v, 'ansible_ssh_extra_args');
  const args = [common, extra]
    .filter((a) => a !== undefined)
    .map(String)
    .join(' ');
  // The inventory's jump host, else one in ansible.cfg's ssh_args.
  for (const a of [args, defaults.sshArgs ?? '']) {
    const jump = a && !spec.jump ? jumpFromSshArgs(a, host.name) : [];
    if (jump.length > 0) spec.jump = jump;
  }
  if (ansibleBool(first(v, 'ansible_become'))) spec.become = becomeSpec(host);
  if (connectionType(host) === 'local') spec.transport = 'local';
  return spec;
}

/** `ansible_connection` values that mean SSH to us (paramiko and smart are Ansible's SSH variants). */
const SSH_CONNECTIONS = new Set(['ssh', 'paramiko', 'paramiko_ssh', 'smart']);

/**
 * How `ansible_connection` says to reach the host: over SSH (also when unset), or `local` on the
 * controller. Other connection plugins (winrm, docker, ...) are an InputError naming the host.
 */
export function connectionType(host: Host): 'ssh' | 'local' {
  const raw = first(host.vars, 'ansible_connection');
  if (raw === undefined) return 'ssh';
  const name = String(raw).trim().toLowerCase();
  // Fully qualified names, e.g. ansible.builtin.local, name the same plugins.
  const short = name.replace(/^ansible\.(builtin|legacy)\./, '');
  if (short === 'local') return 'local';
  if (SSH_CONNECTIONS.has(short)) return 'ssh';
  throw new InputError(
    `${host.name}: ansible_connection=${String(raw)} is not supported (firebreak reaches hosts over ssh, or local for the controller itself)`,
  );
}

/** Jump hosts named in ssh arguments, outermost first; [] when there are none. */
export function jumpFromSshArgs(args: string, hostName = ''): string[] {
  let tokens: string[];
  try {
    tokens = shlexSplit(args);
  } catch (e) {
    if (e instanceof ShlexError) throw new InputError(`${hostName}: cannot parse ssh arguments: ${e.message}`);
    throw e;
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    let opt: string | undefined;
    if (t === '-J') return splitJumps(tokens[i + 1] ?? '');
    if (t.startsWith('-J')) return splitJumps(t.slice(2));
    if (t === '-o') opt = tokens[++i];
    else if (t.startsWith('-o')) opt = t.slice(2);
    if (opt === undefined) continue;
    const m = /^\s*(\w+)\s*(?:=|\s)\s*([\s\S]*)$/.exec(opt);
    if (!m) continue;
    const name = (m[1] as string).toLowerCase();
    // ssh itself unquotes option values (`ProxyJump="a@b"`), so do we.
    const value = (m[2] as string).trim().replace(/^(["'])(.*)\1$/, '$2');
    if (name === 'proxyjump' && value.toLowerCase() !== 'none') return splitJumps(value);
    if (name === 'proxycommand') {
      const j = jumpFromProxyCommand(value);
      if (j) return [j];
    }
  }
  return [];
}

function splitJumps(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim().replace(/^ssh:\/\//, ''))
    .filter(Boolean);
}

/** `ssh [-p port] [-l user] -W %h:%p [user@]host` → `user@host:port`; undefined for other commands. */
export function jumpFromProxyCommand(cmd: string): string | undefined {
  let t: string[];
  try {
    t = shlexSplit(cmd);
  } catch {
    return undefined;
  }
  if (!/(^|\/)ssh$/.test(t[0] ?? '') || !t.includes('-W')) return undefined;
  let port: string | undefined;
  let user: string | undefined;
  let dest: string | undefined;
  for (let i = 1; i < t.length; i++) {
    const a = t[i] as string;
    if (a === '-p') port = t[++i];
    else if (a === '-l') user = t[++i];
    else if (/^-[WoiFJcbDeEILmOQRSw]$/.test(a)) i++;
    else if (!a.startsWith('-')) dest = a;
  }
  if (!dest) return undefined;
  const withUser = user && !dest.includes('@') ? `${user}@${dest}` : dest;
  return port ? `${withUser}:${port}` : withUser;
}
