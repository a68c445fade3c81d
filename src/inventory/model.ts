/**
 * The inventory as plain data, and the mutable builder the parsers fill.
 *
 * The builder mirrors Ansible's `InventoryData`/`Group`/`Host` bookkeeping (add order, group depth,
 * `ansible_group_priority`, the `reconcile` pass that attaches parentless groups to `all` and
 * maintains `ungrouped`), because host order, `all.children` order and variable precedence
 * all fall out of exactly that bookkeeping.
 */
import type { Host } from '../core/host.js';
import { InputError } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';
import { VaultedValue } from './vault-values.js';

/** Variables as parsed: a plain mapping. */
export type Vars = Record<string, unknown>;

/** One inventory group. */
export interface Group {
  name: string;
  /** Direct child groups, in the order they were added. */
  children: string[];
  /** Direct parent groups, in the order they were added. */
  parents: string[];
  /** Direct member hosts, in the order they were added. */
  hosts: string[];
  /** Variables set in inventory files (`[g:vars]`, YAML `vars:`). */
  vars: Vars;
  /** Variables from `group_vars/` beside the inventory sources. */
  fileVars: Vars;
  /** Longest path from `all` (all = 0); Ansible merges group vars by (depth, priority, name). */
  depth: number;
  /** `ansible_group_priority` (default 1). */
  priority: number;
}

/** A parsed, resolved inventory. */
export interface Inventory {
  /** Hosts in the order they were first defined; `vars` already merged with Ansible precedence. */
  hosts: Host[];
  /** Groups by name in creation order; always contains `all` and `ungrouped`. */
  groups: Map<string, Group>;
  /** The sources it was loaded from, as given. */
  sources: string[];
  /** Things Ansible would warn about (not errors). */
  warnings: string[];
  /**
   * Host variables from vault as ansible-inventory prints them: inline `!vault` values as
   * `{"__ansible_vault": ciphertext}` (never the clear value), values from vaulted files clear.
   */
  vaultShown?: Map<string, Vars>;
}

/** A host while the inventory is being built. */
export interface HostRecord {
  name: string;
  /** Inline variables from inventory files (and `ansible_port` from `host:port`). */
  vars: Vars;
  /** Variables from `host_vars/`. */
  fileVars: Vars;
  /** Groups in the order Ansible's `Host.add_group` records them (ancestors first). */
  groups: string[];
}

function newGroup(name: string): Group {
  return { name, children: [], parents: [], hosts: [], vars: {}, fileVars: {}, depth: 0, priority: 1 };
}

/** Mutable inventory under construction; the parsers call it the way Ansible's plugins call InventoryData. */
export class InventoryBuilder {
  readonly groups = new Map<string, Group>();
  readonly hosts = new Map<string, HostRecord>();
  /** While a vault-encrypted inventory file is parsed: its name, and every variable it sets is a secret. */
  vaultFile: string | undefined;

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  addGroup(name: string): Group {
    let g = this.groups.get(name);
    if (!g) {
      g = newGroup(name);
      this.groups.set(name, g);
    }
    return g;
  }

  /** Adds a host (and optionally puts it in a group). The port only applies when the host is new, as in Ansible. */
  addHost(name: string, group?: string, port?: number): HostRecord {
    let h = this.hosts.get(name);
    if (!h) {
      if (this.hosts.size >= LIMITS.hosts) {
        throw new InputError(
          `more than ${LIMITS.hosts} hosts: a range or a list too large? (FIREBREAK_MAX_HOSTS raises the limit)`,
        );
      }
      h = { name, vars: {}, fileVars: {}, groups: [] };
      if (port !== undefined) h.vars['ansible_port'] = port;
      this.hosts.set(name, h);
    }
    if (group !== undefined) this.addHostToGroup(this.mustGroup(group), h);
    return h;
  }

  setVariable(entity: string, key: string, clear: unknown): void {
    const value = this.vaultFile !== undefined ? VaultedValue.decrypted(this.vaultFile, clear) : clear;
    const g = this.groups.get(entity);
    if (g) {
      if (key === 'ansible_group_priority') {
        const n = Number.parseInt(String(clear), 10);
        if (Number.isFinite(n)) g.priority = n;
      } else g.vars[key] = value;
      return;
    }
    const h = this.hosts.get(entity);
    if (!h) throw new Error(`Could not identify group or host named ${entity}`);
    h.vars[key] = value;
  }

  /** Adds a child group (or a host) to a group. Throws on a cycle, as Ansible does. */
  addChild(parent: string, child: string): void {
    const p = this.mustGroup(parent);
    const c = this.groups.get(child);
    if (!c) {
      const h = this.hosts.get(child);
      if (!h) throw new Error(`${child} is not a known host nor group`);
      this.addHostToGroup(p, h);
      return;
    }
    if (p === c) throw new Error(`can't add group ${parent} to itself`);
    if (p.children.includes(child)) return;
    if (this.ancestors(parent).has(child)) {
      throw new Error(`Adding group '${child}' as child to '${parent}' creates a recursive dependency loop.`);
    }
    p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
    this.deepen(c, p.depth + 1);
    // Hosts already below the child now also belong to the parent and its ancestors.
    const added = [parent, ...this.ancestors(parent)];
    for (const hn of this.descendantHosts(child)) {
      const h = this.hosts.get(hn);
      if (h) for (const a of added) if (!h.groups.includes(a)) h.groups.push(a);
    }
  }

  /** Every ancestor group name (unordered semantics, returned as a Set). */
  ancestors(name: string): Set<string> {
    const seen = new Set<string>();
    const todo = [...(this.groups.get(name)?.parents ?? [])];
    for (let i = 0; i < todo.length; i++) {
      const n = todo[i] as string;
      if (seen.has(n)) continue;
      seen.add(n);
      todo.push(...(this.groups.get(n)?.parents ?? []));
    }
    return seen;
  }

  /** Hosts of a group and all its descendants (deduplicated, breadth-first). */
  descendantHosts(name: string): string[] {
    return groupHosts(this.groups, name);
  }

  /** Ansible's reconcile_inventory: parentless groups go under `all`; `ungrouped` holds hosts without a group. */
  reconcile(): void {
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && this.ancestors(g.name).size === 0) this.addChild('all', g.name);
    }
    const ungrouped = this.mustGroup('ungrouped');
    const leaving = new Set<string>();
    for (const h of this.hosts.values()) {
      if (h.groups.includes('ungrouped')) {
        if (h.groups.some((g) => g !== 'all' && g !== 'ungrouped')) {
          leaving.add(h.name);
          h.groups = h.groups.filter((g) => g !== 'ungrouped');
        }
      } else if (h.groups.length === 0 || (h.groups.length === 1 && h.groups[0] === 'all')) {
        this.addHostToGroup(ungrouped, h);
      }
    }
    if (leaving.size) {
      ungrouped.hosts = ungrouped.hosts.filter((n) => !leaving.has(n));
      for (const n of leaving) this.members.get('ungrouped')?.delete(n);
    }
  }

  private mustGroup(name: string): Group {
    const g = this.groups.get(name);
    if (!g) throw new Error(`Could not find group ${name} in inventory`);
    return g;
  }

  /** Direct members of each group as a set: `g.hosts.includes` per added host made big ranges quadratic. */
  private readonly members = new Map<string, Set<string>>();

  private addHostToGroup(g: Group, h: HostRecord): void {
    let members = this.members.get(g.name);
    if (!members) this.members.set(g.name, (members = new Set(g.hosts)));
    if (members.has(h.name)) return;
    members.add(h.name);
    g.hosts.push(h.name);
    for (const a of this.ancestors(g.name)) if (!h.groups.includes(a)) h.groups.push(a);
    if (!h.groups.includes(g.name)) h.groups.push(g.name);
  }

  /** Raise a group's depth and propagate to its descendants (bounded: depth cannot exceed the group count). */
  private deepen(g: Group, depth: number): void {
    if (g.depth >= depth || depth > this.groups.size + 1) return;
    g.depth = depth;
    for (const c of g.children) {
      const cg = this.groups.get(c);
      if (cg) this.deepen(cg, depth + 1);
    }
  }
}

/**
 * Hosts of a group and its descendants, like Ansible's `Group.get_hosts()`: the group itself, then its
 * children level by level. Ansible walks each level as a Python set of groups, so for deep trees with
 * several branches its order is not fully defined; we take the deterministic breadth-first order.
 */
export function groupHosts(groups: Map<string, Group>, name: string): string[] {
  const start = groups.get(name);
  if (!start) return [];
  const order: Group[] = [start];
  const seen = new Set<string>([name]);
  let level: Group[] = [start];
  while (level.length > 0) {
    const next: Group[] = [];
    for (const g of level) {
      for (const c of g.children) {
        if (seen.has(c)) continue;
        seen.add(c);
        const cg = groups.get(c);
        if (cg) next.push(cg);
      }
    }
    for (const g of next) order.push(g); // no push(...): a level can hold more groups than the stack has room for arguments
    level = next;
  }
  const out: string[] = [];
  const hs = new Set<string>();
  for (const g of order) {
    for (const h of g.hosts) {
      if (!hs.has(h)) {
        hs.add(h);
        out.push(h);
      }
    }
  }
  return out;
}
