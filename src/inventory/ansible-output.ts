/**
 * The inventory rendered exactly like Ansible's own tools render it, so the two can be diffed:
 * `ansible-inventory --list` (JSON, keys sorted, indent 4), `ansible-inventory --graph [--vars]`,
 * and the `hosts (N):` block of `ansible --list-hosts`. Ported from ansible/cli/inventory.py.
 */
import type { Host } from '../core/host.js';
import { InputError } from '../core/errors.js';
import type { Group, Inventory, Vars } from './model.js';
import { groupHosts } from './model.js';
import { pyStr } from './pyrepr.js';

/** Variables ansible-inventory never prints (magic and run-time variables). */
const INTERNAL_VARS = new Set([
  'ansible_diff_mode',
  'ansible_config_file',
  'ansible_facts',
  'ansible_forks',
  'ansible_inventory_sources',
  'ansible_limit',
  'ansible_playbook_python',
  'ansible_run_tags',
  'ansible_skip_tags',
  'ansible_verbosity',
  'ansible_version',
  'inventory_dir',
  'inventory_file',
  'inventory_hostname',
  'inventory_hostname_short',
  'groups',
  'group_names',
  'omit',
  'playbook_dir',
]);

function removeInternal(v: Vars): Vars {
  return Object.fromEntries(Object.entries(v).filter(([k]) => !INTERNAL_VARS.has(k)));
}

/** Shape of `ansible-inventory --list`: one entry per non-empty group plus `_meta.hostvars`. */
export interface AnsibleListJson {
  _meta: { hostvars: Record<string, Vars> };
  [group: string]: { hosts?: string[]; children?: string[]; vars?: Vars } | { hostvars: Record<string, Vars> };
}

/** The object `ansible-inventory --list` prints (keys sorted like its `sort_keys=True`). */
export function toAnsibleListJson(inv: Inventory): AnsibleListJson {
  const seen = new Set<string>();
  const format = (g: Group): Record<string, { hosts?: string[]; children?: string[] }> => {
    const results: Record<string, { hosts?: string[]; children?: string[] }> = {};
    const entry: { hosts?: string[]; children?: string[] } = {};
    if (g.name !== 'all' && g.hosts.length > 0) entry.hosts = [...g.hosts];
    const children: string[] = [];
    for (const c of g.children) {
      children.push(c);
      const cg = inv.groups.get(c);
      if (cg && !seen.has(c)) {
        Object.assign(results, format(cg));
        seen.add(c);
      }
    }
    if (children.length > 0) entry.children = children;
    if (Object.keys(entry).length > 0) results[g.name] = entry;
    return results;
  };
  const all = inv.groups.get('all');
  const groups = all ? format(all) : {};
  const hostvars: Record<string, Vars> = {};
  const byName = new Map(inv.hosts.map((h) => [h.name, h]));
  for (const name of groupHosts(inv.groups, 'all')) {
    const h = byName.get(name);
    const v = h ? removeInternal({ ...h.vars, ...inv.vaultShown?.get(name) }) : {};
    if (Object.keys(v).length > 0) hostvars[name] = v;
  }
  return sortKeysDeep({ ...groups, _meta: { hostvars } }) as AnsibleListJson;
}

/** JSON text exactly as ansible-inventory prints it (sorted keys, 4-space indent). */
export function formatAnsibleJson(value: unknown): string {
  return JSON.stringify(sortKeysDeep(value), null, 4);
}

function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((k) => [k, sortKeysDeep(o[k])]),
    );
  }
  return v;
}

/** A group's variables as ansible-inventory shows them: inventory vars, then group_vars files, then priority. */
export function groupVariables(g: Group): Vars {
  const v: Vars = { ...g.vars, ...g.fileVars };
  if (g.priority !== 1) v['ansible_group_priority'] = g.priority;
  return removeInternal(v);
}

/** Options of {@link toGraph}. */
export interface GraphOptions {
  /** Group to start at (`ansible-inventory --graph GROUP`); default `all`. */
  group?: string;
  /** Also print variables (`--vars`). */
  vars?: boolean;
}

/** Text of `ansible-inventory --graph [GROUP] [--vars]` (no trailing newline). */
export function toGraph(inv: Inventory, opts: GraphOptions = {}): string {
  const start = inv.groups.get(opts.group ?? 'all');
  if (!start) throw new InputError('Pattern must be valid group name when using --graph');
  const byName = new Map<string, Host>(inv.hosts.map((h) => [h.name, h]));
  const label = (name: string, depth: number): string => (depth ? '  |'.repeat(depth) + '--' + name : name);
  const showVars = (v: Vars, depth: number): string[] =>
    Object.keys(v)
      .sort()
      .map((k) => label(`{${k} = ${pyStr(v[k])}}`, depth));
  // Ansible repeats a group reached through several parents; the depth bound only guards against a malformed model.
  const walk = (g: Group, depth: number): string[] => {
    if (depth > inv.groups.size + 1) return [];
    const out = [label(`@${g.name}:`, depth)];
    for (const c of g.children) {
      const cg = inv.groups.get(c);
      if (cg) out.push(...walk(cg, depth + 1));
    }
    if (g.name !== 'all') {
      for (const hn of g.hosts) {
        out.push(label(hn, depth + 1));
        const h = byName.get(hn);
        if (opts.vars && h) out.push(...showVars(removeInternal(h.vars), depth + 2));
      }
    }
    if (opts.vars) out.push(...showVars(groupVariables(g), depth + 1));
    return out;
  };
  return walk(start, 0).join('\n');
}

/** The host block of `ansible PATTERN --list-hosts`. */
export function listHostsText(hosts: Host[]): string {
  return [`  hosts (${hosts.length}):`, ...hosts.map((h) => `    ${h.name}`)].join('\n');
}
