/**
 * Ansible's YAML inventory format (ansible/plugins/inventory/yaml.py, core 2.14): top-level groups,
 * each a mapping of `hosts`, `vars`, `children` (nested groups). Keys are processed in file order,
 * which decides host order. JSON is YAML, so `.json` inventories of this shape load here too.
 */
import { isMap, isScalar, type Node, type Pair, type YAMLMap } from 'yaml';
import type { ValidationIssue } from '../core/errors.js';
import type { InventoryBuilder } from './model.js';
import { expandHostPattern } from './ranges.js';
import { issueAt, toPlain, type YamlFile } from './yaml-doc.js';

/** What the caller should do with the file: it parsed, or it is not a YAML inventory at all. */
export type YamlOutcome = 'parsed' | 'not-inventory';

/**
 * Parses a YAML inventory into the builder. Returns 'not-inventory' (and adds nothing) when the
 * document is not a mapping, so an extension-less INI file can fall back to the INI parser.
 */
export function parseYamlInventory(
  b: InventoryBuilder,
  y: YamlFile,
  issues: ValidationIssue[],
  warnings: string[],
): YamlOutcome {
  const root = y.doc.contents;
  if (!isMap(root)) return 'not-inventory';
  if (root.items.length === 0) {
    issues.push(issueAt(y, root, 'yaml_empty', 'Parsed empty YAML file'));
    return 'parsed';
  }
  if (pluginName(y) !== undefined) {
    issues.push(
      issueAt(
        y,
        root,
        'yaml_plugin',
        'Plugin configuration YAML file, not YAML inventory (Ansible reads plugin configurations only from .yml/.yaml files)',
      ),
    );
    return 'parsed';
  }
  const ctx: Ctx = { b, y, issues, warnings };
  for (const pair of root.items) parseGroup(ctx, pair, '');
  return 'parsed';
}

/** The `plugin:` of an inventory plugin configuration (a top-level `plugin` key), else undefined. */
export function pluginName(y: YamlFile): string | undefined {
  const root = y.doc.contents;
  if (!isMap(root)) return undefined;
  const pair = root.items.find((p) => keyOf(p) === 'plugin');
  return pair ? String(toPlain(y, pair.value)) : undefined;
}

interface Ctx {
  b: InventoryBuilder;
  y: YamlFile;
  issues: ValidationIssue[];
  warnings: string[];
}

function keyOf(p: Pair): unknown {
  return isScalar(p.key) ? p.key.value : p.key;
}

function isNull(n: unknown): boolean {
  return n === null || n === undefined || (isScalar(n) && n.value === null);
}

function parseGroup(ctx: Ctx, pair: Pair, parentPath: string): string | undefined {
  const { b, y, issues, warnings } = ctx;
  const name = keyOf(pair);
  const path = parentPath ? `${parentPath}.${String(name)}` : String(name);
  const data = pair.value as Node | null;
  if (!isMap(data) && !isNull(data)) {
    warnings.push(`Skipping '${String(name)}' as this is not a valid group definition (${y.file})`);
    return typeof name === 'string' ? name : undefined;
  }
  if (typeof name !== 'string' || name === '') {
    issues.push(
      issueAt(
        y,
        pair.key,
        'yaml_group_name',
        `Invalid group name supplied, expected a string but got ${JSON.stringify(name)}`,
        path,
      ),
    );
    return undefined;
  }
  b.addGroup(name);
  if (!isMap(data)) return name;

  for (const sec of data.items) {
    const key = keyOf(sec);
    const keyPath = `${path}.${String(key)}`;
    const value = sec.value as Node | null;
    if (key === 'vars' || key === 'children' || key === 'hosts') {
      // A bare string is shorthand for a one-key mapping with a null value, as in Ansible.
      const shorthand = isScalar(sec.value) && typeof sec.value.value === 'string' ? sec.value.value : undefined;
      if (shorthand !== undefined) {
        handleShorthand(ctx, name, String(key), shorthand, sec.value as Node, keyPath);
        continue;
      }
      if (!isMap(value) && !isNull(value)) {
        issues.push(
          issueAt(
            y,
            value,
            'yaml_section',
            `Invalid "${String(key)}" entry for "${name}" group, requires a dictionary`,
            keyPath,
          ),
        );
        continue;
      }
    }
    if (!isMap(value)) {
      if (!isNull(value)) warnings.push(`Skipping key (${String(key)}) in group (${name}) as it is not a mapping`);
      continue;
    }
    if (key === 'vars') {
      for (const v of value.items) b.setVariable(name, String(keyOf(v)), toPlain(y, v.value));
    } else if (key === 'children') {
      for (const sub of value.items) {
        const child = parseGroup(ctx, sub, `${keyPath}`);
        if (child !== undefined) addChild(ctx, name, child, sub, keyPath);
      }
    } else if (key === 'hosts') {
      parseHosts(ctx, name, value, keyPath);
    } else {
      warnings.push(
        `Skipping unexpected key (${String(key)}) in group (${name}), only "vars", "children" and "hosts" are valid`,
      );
    }
  }
  return name;
}

function handleShorthand(ctx: Ctx, group: string, key: string, text: string, node: Node, path: string): void {
  if (key === 'hosts') addHosts(ctx, group, text, null, node, path);
  else if (key === 'children') {
    ctx.b.addGroup(text);
    addChild(ctx, group, text, node, path);
  }
  // `vars: somestring` becomes {somestring: None}: a variable named after the string, set to null.
  else ctx.b.setVariable(group, text, null);
}

function addChild(ctx: Ctx, parent: string, child: string, at: unknown, path: string): void {
  try {
    ctx.b.addChild(parent, child);
  } catch (e) {
    ctx.issues.push(issueAt(ctx.y, (at as Pair).key ?? at, 'inventory_cycle', (e as Error).message, path));
  }
}

function parseHosts(ctx: Ctx, group: string, hosts: YAMLMap, path: string): void {
  for (const h of hosts.items) {
    const pattern = keyOf(h);
    if (typeof pattern !== 'string') {
      ctx.issues.push(
        issueAt(
          ctx.y,
          h.key,
          'yaml_host_name',
          `Host pattern ${String(pattern)} must be a string. Enclose integers/floats in quotation marks.`,
          path,
        ),
      );
      continue;
    }
    addHosts(ctx, group, pattern, h.value as Node | null, h.key as Node, `${path}.${pattern}`);
  }
}

function addHosts(ctx: Ctx, group: string, pattern: string, varsNode: Node | null, at: Node, path: string): void {
  let expanded: { hosts: string[]; port?: number };
  try {
    expanded = expandHostPattern(pattern);
  } catch (e) {
    ctx.issues.push(
      issueAt(ctx.y, at, 'yaml_host_range', `Invalid host pattern '${pattern}': ${(e as Error).message}`, path),
    );
    return;
  }
  const vars = isNull(varsNode) ? {} : toPlain(ctx.y, varsNode);
  if (!vars || typeof vars !== 'object' || Array.isArray(vars)) {
    ctx.issues.push(
      issueAt(
        ctx.y,
        varsNode,
        'yaml_host_vars',
        `Invalid data from file, expected dictionary for host ${pattern}`,
        path,
      ),
    );
    return;
  }
  for (const hn of expanded.hosts) {
    ctx.b.addHost(hn, group, expanded.port);
    for (const [k, v] of Object.entries(vars)) ctx.b.setVariable(hn, k, v);
  }
}
