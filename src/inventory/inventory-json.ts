/**
 * The JSON an inventory script prints for `--list` (and `ansible-inventory --list --export` prints),
 * read into the builder the way Ansible's script plugin reads it (plugins/inventory/script.py, core
 * 2.14): every top-level key but `_meta` is a group — a list of hosts, a mapping of `hosts` /
 * `vars` / `children`, or (neither) a host of that name whose variables are the mapping — and
 * `_meta.hostvars` holds each listed host's variables. Without `_meta.hostvars` the caller asks
 * the script per host (`--host H`).
 */
import type { ValidationIssue } from '../core/errors.js';
import type { InventoryBuilder, Vars } from './model.js';
import { VaultedValue } from './vault-values.js';

/** What reading the `--list` output found: the hosts it listed, and their variables if it gave them. */
export interface ListedInventory {
  hosts: string[];
  /** `_meta.hostvars`, when present: the caller must not ask per host. */
  hostvars?: Record<string, unknown>;
}

/** JSON.parse's complaint without the text it quotes (an inventory's output can hold secrets). */
export function jsonError(e: unknown): string {
  return (e as Error).message.replace(/, ".*" is not valid JSON$/s, '');
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Adds the groups, hosts and group variables of a parsed `--list` answer to the builder. Problems
 * go to `issues` (against `file`).
 */
export function addListedGroups(
  b: InventoryBuilder,
  data: unknown,
  file: string,
  issues: ValidationIssue[],
): ListedInventory {
  const issue = (message: string): void => {
    issues.push({ code: 'inventory_json', path: '', message, severity: 'error', file });
  };
  if (!isMapping(data)) {
    issue('inventory output must be a JSON object (group name → group)');
    return { hosts: [] };
  }
  const hosts = new Set<string>();
  let hostvars: Record<string, unknown> | undefined;
  for (const [group, raw] of Object.entries(data)) {
    if (group === '_meta') {
      if (isMapping(raw) && 'hostvars' in raw) {
        if (isMapping(raw['hostvars'])) hostvars = raw['hostvars'];
        else issue('_meta.hostvars must be a mapping of host name → variables');
      }
      continue;
    }
    b.addGroup(group);
    const g = !isMapping(raw)
      ? { hosts: raw }
      : 'hosts' in raw || 'vars' in raw || 'children' in raw
        ? raw
        : { hosts: [group], vars: raw };
    if ('hosts' in g) {
      if (!Array.isArray(g.hosts)) issue(`group ${group}: "hosts" must be a list of host names`);
      else
        for (const h of g.hosts) {
          if (typeof h !== 'string' || h === '') {
            issue(`group ${group}: host name must be a string, got ${JSON.stringify(h)}`);
            continue;
          }
          hosts.add(h);
          b.addHost(h, group);
        }
    }
    if ('vars' in g) {
      if (!isMapping(g.vars)) issue(`group ${group}: "vars" must be a mapping`);
      else for (const [k, v] of Object.entries(g.vars)) b.setVariable(group, k, v);
    }
    if ('children' in g) addChildren(b, group, g.children, issue);
  }
  return { hosts: [...hosts], ...(hostvars ? { hostvars } : {}) };
}

function addChildren(b: InventoryBuilder, group: string, children: unknown, issue: (m: string) => void): void {
  // Python iterates a list's items or a mapping's keys alike.
  const names = Array.isArray(children) ? children : isMapping(children) ? Object.keys(children) : undefined;
  if (!names) return issue(`group ${group}: "children" must be a list of group names`);
  for (const c of names) {
    if (typeof c !== 'string' || c === '') {
      issue(`group ${group}: child group name must be a string, got ${JSON.stringify(c)}`);
      continue;
    }
    b.addGroup(c);
    try {
      b.addChild(group, c);
    } catch (e) {
      issue((e as Error).message);
    }
  }
}

/** Sets one host's variables from a `_meta.hostvars` entry or a `--host` answer. */
export function addHostVars(
  b: InventoryBuilder,
  host: string,
  vars: unknown,
  file: string,
  issues: ValidationIssue[],
): void {
  if (vars === undefined || vars === null) return;
  if (!isMapping(vars)) {
    issues.push({
      code: 'inventory_json',
      path: '',
      message: `variables of host ${host} must be a mapping, got ${Array.isArray(vars) ? 'a list' : typeof vars}`,
      severity: 'error',
      file,
    });
    return;
  }
  for (const [k, v] of Object.entries(vars as Vars)) b.setVariable(host, k, v);
}

/** Ansible's JSON tags back to values: `__ansible_unsafe` is a plain string, `__ansible_vault` still vaulted. */
export function fromAnsibleJson(v: unknown, file: string): unknown {
  if (Array.isArray(v)) return v.map((x) => fromAnsibleJson(x, file));
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && typeof o['__ansible_unsafe'] === 'string') return o['__ansible_unsafe'];
  if (keys.length === 1 && typeof o['__ansible_vault'] === 'string')
    return VaultedValue.encrypted(file, o['__ansible_vault']);
  return Object.fromEntries(keys.map((k) => [k, fromAnsibleJson(o[k], file)]));
}
