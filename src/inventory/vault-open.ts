/**
 * The last pass of loading over vaulted values: open (decrypt) every one, naming the variable, its
 * owner and its file when that fails; then give each host its clear variables and the names of
 * those that came from vault, so a run can keep them out of its journal.
 */
import type { ValidationIssue } from '../core/errors.js';
import type { Group, InventoryBuilder, Vars } from './model.js';
import { openVariable, reveal, vaultedIn } from './vault-values.js';

/** Opens the vaulted values of every group and host variable (inline and from vars files). */
export function openVaulted(
  b: InventoryBuilder,
  hostFileVars: Map<string, Vars>,
  password: string | undefined,
  issues: ValidationIssue[],
): void {
  const open = (vars: Vars, owner: string): void => {
    for (const [k, v] of Object.entries(vars)) openVariable(k, v, owner, password, issues);
  };
  for (const g of b.groups.values()) {
    open(g.vars, `group ${g.name}`);
    open(g.fileVars, `group ${g.name}`);
  }
  for (const h of b.hosts.values()) {
    open(h.vars, `host ${h.name}`);
    open(hostFileVars.get(h.name) ?? {}, `host ${h.name}`);
  }
}

/** A host's merged variables in clear and which of them came from vault; and how ansible-inventory shows those. */
export function revealHostVars(merged: Vars): { vars: Vars; vaultedVars?: string[]; shown?: Vars } {
  const vaulted = Object.keys(merged).filter((k) => vaultedIn(merged[k]).length > 0);
  if (vaulted.length === 0) return { vars: merged };
  const vars = { ...merged };
  const shown: Vars = {};
  for (const k of vaulted) {
    vars[k] = reveal(merged[k]);
    shown[k] = reveal(merged[k], true);
  }
  return { vars, vaultedVars: vaulted, shown };
}

/** Group variables in clear, for what prints the inventory (`inventory list --json`, `--graph --vars`). */
export function revealGroupVars(groups: Map<string, Group>): void {
  for (const g of groups.values()) {
    g.vars = revealAll(g.vars);
    g.fileVars = revealAll(g.fileVars);
  }
}

function revealAll(vars: Vars): Vars {
  return Object.values(vars).some((v) => vaultedIn(v).length > 0) ? (reveal(vars) as Vars) : vars;
}
