/**
 * The ansible.cfg settings firebreak honours, read from the file Ansible would read and from the
 * ANSIBLE_* variables that override it (an environment variable beats the file, as in Ansible), each
 * with where it came from so messages can point at the file and line or the variable. Types follow
 * Ansible's (ansible/config/base.yml and the ssh connection plugin): `inventory` is a comma-separated
 * list of paths relative to the file's directory, `private_key_file` a path, strings lose one level
 * of matching quotes. Bad values (`forks = abc`) are an InputError naming the file, line and key.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError, type ValidationIssue } from '../core/errors.js';
import { checkInputSize } from '../core/limits.js';
import { findAnsibleCfg, resolveAnsiblePath, type CfgLocations } from './ansible-cfg-find.js';
import { iniGet, parseIniConfig, type IniDocument } from './ini-config.js';

/** Where one value came from. */
export type CfgSource =
  { kind: 'file'; file: string; line: number; section: string; key: string } | { kind: 'env'; name: string };

export interface CfgValue<T> {
  value: T;
  source: CfgSource;
}

export interface AnsibleSettings {
  /** The ansible.cfg that was read, if any. */
  file?: string;
  /** `[defaults] inventory`, ANSIBLE_INVENTORY: absolute paths. */
  inventory?: CfgValue<string[]>;
  /** `[defaults] remote_user`, ANSIBLE_REMOTE_USER. */
  remoteUser?: CfgValue<string>;
  /** `[defaults] private_key_file`, ANSIBLE_PRIVATE_KEY_FILE: an absolute path. */
  privateKeyFile?: CfgValue<string>;
  /** `[defaults] forks`, ANSIBLE_FORKS. */
  forks?: CfgValue<number>;
  /** `[defaults] timeout` / `[ssh_connection] timeout`, ANSIBLE_TIMEOUT / ANSIBLE_SSH_TIMEOUT: seconds to connect. */
  timeout?: CfgValue<number>;
  /** `host_key_checking` in `[defaults]` / `[ssh_connection]`, ANSIBLE_(SSH_)HOST_KEY_CHECKING. */
  hostKeyChecking?: CfgValue<boolean>;
  /** `[ssh_connection] ssh_args`, ANSIBLE_SSH_ARGS. */
  sshArgs?: CfgValue<string>;
  /** E.g. an ansible.cfg skipped in a world-writable directory. */
  warnings: string[];
}

type Kind = 'pathlist' | 'path' | 'string' | 'count' | 'bool';
type SettingName = Exclude<keyof AnsibleSettings, 'file' | 'warnings'>;
interface SettingDef {
  kind: Kind;
  /** As in Ansible, the last one set wins within the file and within the environment. */
  ini: Array<[section: string, key: string]>;
  env: string[];
}

const SETTINGS: Record<SettingName, SettingDef> = {
  inventory: { kind: 'pathlist', ini: [['defaults', 'inventory']], env: ['ANSIBLE_INVENTORY'] },
  remoteUser: { kind: 'string', ini: [['defaults', 'remote_user']], env: ['ANSIBLE_REMOTE_USER'] },
  privateKeyFile: { kind: 'path', ini: [['defaults', 'private_key_file']], env: ['ANSIBLE_PRIVATE_KEY_FILE'] },
  forks: { kind: 'count', ini: [['defaults', 'forks']], env: ['ANSIBLE_FORKS'] },
  timeout: {
    kind: 'count',
    ini: [
      ['defaults', 'timeout'],
      ['ssh_connection', 'timeout'],
    ],
    env: ['ANSIBLE_TIMEOUT', 'ANSIBLE_SSH_TIMEOUT'],
  },
  hostKeyChecking: {
    kind: 'bool',
    ini: [
      ['defaults', 'host_key_checking'],
      ['ssh_connection', 'host_key_checking'],
    ],
    env: ['ANSIBLE_HOST_KEY_CHECKING', 'ANSIBLE_SSH_HOST_KEY_CHECKING'],
  },
  sshArgs: { kind: 'string', ini: [['ssh_connection', 'ssh_args']], env: ['ANSIBLE_SSH_ARGS'] },
};

const TRUE = ['y', 'yes', 'on', '1', 'true', 't'];
const FALSE = ['n', 'no', 'off', '0', 'false', 'f'];

/** `/etc/ansible.cfg:3 ([defaults] forks)` or `$ANSIBLE_FORKS`. */
export function describeSource(s: CfgSource): string {
  return s.kind === 'env' ? `$${s.name}` : `${s.file}:${s.line} ([${s.section}] ${s.key})`;
}

/** Ansible's `unquote`: one pair of matching outer quotes removed. */
function unquote(s: string): string {
  const q = s[0];
  return s.length > 1 && (q === '"' || q === "'") && s.at(-1) === q && s.at(-2) !== '\\' ? s.slice(1, -1) : s;
}

/** The raw text of a setting and its source: the environment first, then the file; none when unset or empty. */
function rawValue(def: SettingDef, doc: IniDocument | undefined, env: CfgLocations['env']) {
  let found: { text: string; source: CfgSource } | undefined;
  for (const name of def.env) {
    const text = env[name];
    // An empty variable counts as unset (Ansible would fail on ANSIBLE_FORKS= or read the cwd as a path).
    if (text !== undefined && text.trim() !== '') found = { text, source: { kind: 'env', name } };
  }
  if (found || !doc) return found;
  for (const [section, key] of def.ini) {
    const e = iniGet(doc, section, key);
    if (e && e.value.trim() !== '')
      found = { text: e.value, source: { kind: 'file', file: doc.file, line: e.line, section, key } };
  }
  return found;
}

function convert(kind: Kind, text: string, base: string, loc: CfgLocations): string | string[] | number | boolean {
  const t = text.trim();
  switch (kind) {
    case 'pathlist':
      // Empty items (`a,`) are dropped: Ansible would read the cfg's directory itself as an inventory.
      return t
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
        .map((p) => resolveAnsiblePath(p, loc, base));
    case 'path':
      return resolveAnsiblePath(t, loc, base);
    case 'string':
      return unquote(t);
    case 'count': {
      const n = /^\+?\d+$/.test(t) ? Number(t) : NaN;
      if (!Number.isSafeInteger(n) || n < 1) throw new Error(`"${t}" is not a whole number of at least 1`);
      return n;
    }
    case 'bool':
      // Ansible reads anything unknown as False; for host-key checking a typo must not mean "off".
      if (TRUE.includes(t.toLowerCase())) return true;
      if (FALSE.includes(t.toLowerCase())) return false;
      throw new Error(`"${t}" is not a boolean (one of ${[...TRUE, ...FALSE].join(', ')})`);
  }
}

/** Find the ansible.cfg Ansible would use, read it and the ANSIBLE_* overrides. */
export function readAnsibleSettings(loc: CfgLocations): AnsibleSettings {
  const found = findAnsibleCfg(loc);
  let doc: IniDocument | undefined;
  if (found.file) {
    let text: string;
    try {
      text = readFileSync(found.file, 'utf8');
    } catch (e) {
      throw new InputError(`cannot read the Ansible config ${found.file}: ${(e as Error).message}`);
    }
    checkInputSize(text, found.file);
    doc = parseIniConfig(text, found.file);
  }
  const out: AnsibleSettings = { ...(found.file ? { file: found.file } : {}), warnings: found.warnings };
  const issues: ValidationIssue[] = [];
  for (const [name, def] of Object.entries(SETTINGS) as Array<[SettingName, SettingDef]>) {
    const raw = rawValue(def, doc, loc.env);
    if (!raw) continue;
    // Relative paths: against the cfg's directory for the file, the cwd for a variable (as in Ansible).
    const base = raw.source.kind === 'file' ? path.dirname(raw.source.file) : loc.cwd;
    try {
      (out as unknown as Record<string, CfgValue<unknown>>)[name] = {
        value: convert(def.kind, raw.text, base, loc),
        source: raw.source,
      };
    } catch (e) {
      const s = raw.source;
      issues.push({
        code: 'invalid_value',
        path: s.kind === 'file' ? `[${s.section}] ${s.key}` : s.name,
        message: `${s.kind === 'file' ? `${s.key} in ${s.file}` : `$${s.name}`}: ${(e as Error).message}`,
        severity: 'error',
        ...(s.kind === 'file' ? { file: s.file, line: s.line } : {}),
      });
    }
  }
  if (issues.length) throw new InputError('bad Ansible configuration', issues);
  return out;
}
