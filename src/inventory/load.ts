/**
 * Loading inventory sources (`-i`, repeatable) into one resolved Inventory, as Ansible's
 * InventoryManager does: each source is a file (an executable inventory script, a plugin
 * configuration, YAML or INI, chosen like Ansible's plugin order; vault-encrypted or not), a
 * directory of such files, or a comma-separated host list (`'h1,h2,'`); all sources feed one
 * inventory, then `group_vars/`/`host_vars/` beside each source are read, vaulted values are
 * decrypted, and every host's variables are merged with Ansible's precedence.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import type { Host } from '../core/host.js';
import { InputError, type ValidationIssue } from '../core/errors.js';
import { capIssues, checkInputSize } from '../core/limits.js';
import { parseIni } from './ini.js';
import { InventoryBuilder, type Group, type Inventory, type Vars } from './model.js';
import { parseAddress } from './ranges.js';
import { findVarsFiles, loadVarsFiles } from './vars-files.js';
import { readYaml } from './yaml-doc.js';
import { loadInventoryPlugin } from './inventory-plugin.js';
import { loadInventoryScript } from './inventory-script.js';
import { isRunnableFile } from './run-program.js';
import { isVaultText } from './vault.js';
import { openVaultFile } from './vault-values.js';
import { openVaulted, revealGroupVars, revealHostVars } from './vault-open.js';
import { parseYamlInventory, pluginName } from './yaml.js';

const YAML_EXTS = ['.yml', '.yaml', '.json'];
const PLUGIN_EXTS = ['.yml', '.yaml'];
/** Directory entries Ansible never treats as inventory (INVENTORY_IGNORE_EXTS/PATTERNS defaults). */
const IGNORED =
  /^\.|^host_vars$|^group_vars$|^vars_plugins$|(?:\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/;
/** Bound on nested inventory directories. */
const MAX_DIR_DEPTH = 16;

/** How to load: the vault password decrypts vaulted files and `!vault` values (one password for all vault ids). */
export interface LoadOptions {
  vaultPassword?: string;
}

interface LoadCtx {
  b: InventoryBuilder;
  issues: ValidationIssue[];
  warnings: string[];
  vaultPassword: string | undefined;
  /** The files and host lists read before the current one (an inventory plugin may read their hosts). */
  earlier: string[];
}

/** Loads and merges the inventory sources. Throws InputError listing every problem found. */
export async function loadInventory(paths: string[], opts: LoadOptions = {}): Promise<Inventory> {
  const ctx: LoadCtx = {
    b: new InventoryBuilder(),
    issues: [],
    warnings: [],
    vaultPassword: opts.vaultPassword,
    earlier: [],
  };
  for (const source of paths) await loadSource(ctx, source, 0);
  failOnErrors(ctx.issues);
  ctx.b.reconcile();

  const varDirs = [...new Set(await Promise.all(paths.filter((p) => !isHostList(p)).map(varsBase)))];
  const dirsSeen: DirCache = new Map();
  const vars = { dirs: varDirs, issues: ctx.issues, seen: dirsSeen, vaultPassword: opts.vaultPassword };
  for (const g of ctx.b.groups.values()) g.fileVars = await varsFor(vars, 'group_vars', g.name);
  const hostFileVars = new Map<string, Vars>();
  for (const h of ctx.b.hosts.values()) hostFileVars.set(h.name, await varsFor(vars, 'host_vars', h.name));
  openVaulted(ctx.b, hostFileVars, opts.vaultPassword, ctx.issues);
  failOnErrors(ctx.issues);

  for (const name of ctx.b.hosts.keys()) {
    if (ctx.b.groups.has(name)) ctx.warnings.push(`Found both group and host with same name: ${name}`);
  }
  const vaultShown = new Map<string, Vars>();
  const hosts: Host[] = [...ctx.b.hosts.values()].map((h) => {
    const groups = h.groups.filter((g) => g !== 'all');
    const merged = mergeHostVars(ctx.b.groups, groups, h.vars, hostFileVars.get(h.name) ?? {});
    const { vars, vaultedVars, shown } = revealHostVars(merged);
    if (shown) vaultShown.set(h.name, shown);
    return { name: h.name, vars, groups: [...groups].sort(), ...(vaultedVars ? { vaultedVars } : {}) };
  });
  revealGroupVars(ctx.b.groups);
  return { hosts, groups: ctx.b.groups, sources: [...paths], warnings: ctx.warnings, vaultShown };
}

/** Ansible's default VARIABLE_PRECEDENCE for one host (hash_behaviour=replace: shallow merges). */
export function mergeHostVars(groups: Map<string, Group>, hostGroups: string[], inline: Vars, fileVars: Vars): Vars {
  const all = groups.get('all');
  const sorted = hostGroups
    .map((n) => groups.get(n))
    .filter((g): g is Group => g !== undefined)
    .sort((a, b) => a.depth - b.depth || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let out: Vars = { ...(all?.vars ?? {}) };
  for (const g of sorted) out = { ...out, ...g.vars };
  out = { ...out, ...(all?.fileVars ?? {}) };
  for (const g of sorted) out = { ...out, ...g.fileVars };
  return { ...out, ...inline, ...fileVars };
}

/** Throws one InputError listing every problem, ordered by file (as first reported), line and column. */
function failOnErrors(issues: ValidationIssue[]): void {
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length === 0) return;
  const fileOrder = [...new Set(errors.map((i) => i.file ?? ''))];
  const sorted = [...errors].sort(
    (a, b) =>
      fileOrder.indexOf(a.file ?? '') - fileOrder.indexOf(b.file ?? '') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.col ?? 0) - (b.col ?? 0),
  );
  throw new InputError(
    `Invalid inventory: ${errors.length} problem${errors.length === 1 ? '' : 's'}`,
    capIssues(sorted),
  );
}

function isHostList(source: string): boolean {
  return source.includes(',');
}

async function varsBase(source: string): Promise<string> {
  try {
    return (await stat(source)).isDirectory() ? source : dirname(source);
  } catch {
    return dirname(source);
  }
}

interface VarsLookup {
  dirs: string[];
  issues: ValidationIssue[];
  seen: DirCache;
  vaultPassword: string | undefined;
}

async function varsFor(v: VarsLookup, sub: string, name: string): Promise<Vars> {
  let out: Vars = {};
  for (const d of await existingDirs(v.dirs, sub, v.seen))
    out = { ...out, ...(await loadVarsFiles(await findVarsFiles(d, name), v.issues, v.vaultPassword)) };
  return out;
}

/** Whether a path is a directory, asked once per load. */
type DirCache = Map<string, Promise<boolean>>;

/** `<d>/<sub>` for each d where it is a directory: one stat per load, not one per host (100,000 hosts). */
async function existingDirs(dirs: string[], sub: string, dirsSeen: DirCache): Promise<string[]> {
  const full = dirs.map((d) => join(d, sub));
  const present = await Promise.all(
    full.map((f) => {
      let seen = dirsSeen.get(f);
      if (!seen)
        dirsSeen.set(
          f,
          (seen = stat(f).then(
            (s) => s.isDirectory(),
            () => false,
          )),
        );
      return seen;
    }),
  );
  return full.filter((_, i) => present[i]);
}

async function loadSource(ctx: LoadCtx, source: string, depth: number): Promise<void> {
  let st;
  try {
    st = await stat(source);
  } catch {
    if (isHostList(source)) {
      loadHostList(ctx, source);
      ctx.earlier.push(source);
      return;
    }
    ctx.issues.push({
      code: 'inventory_missing',
      path: '',
      message: `Inventory source not found: ${source}`,
      severity: 'error',
      file: source,
    });
    return;
  }
  if (st.isDirectory()) {
    if (depth > MAX_DIR_DEPTH) return;
    for (const e of (await readdir(source)).sort()) {
      if (!IGNORED.test(e)) await loadSource(ctx, join(source, e), depth + 1);
    }
    return;
  }
  await loadSourceFile(ctx, source);
  ctx.earlier.push(source);
}

/** One file: run it (an inventory script), or read it, decrypting a vault-encrypted one. */
async function loadSourceFile(ctx: LoadCtx, file: string): Promise<void> {
  if (await isRunnableFile(file)) return loadInventoryScript(ctx.b, file, ctx.issues);
  const text = await readFile(file, 'utf8');
  if (!isVaultText(text)) return loadFile(ctx, file, text);
  const clear = openVaultFile(text, file, ctx.vaultPassword, ctx.issues);
  if (clear === undefined) return;
  // Every variable of a vaulted inventory is a secret.
  ctx.b.vaultFile = file;
  try {
    await loadFile(ctx, file, clear);
  } finally {
    ctx.b.vaultFile = undefined;
  }
}

function loadHostList(ctx: LoadCtx, source: string): void {
  for (const part of source.split(',')) {
    const h = part.trim();
    if (!h) continue;
    const a = h.includes('[') ? undefined : parseAddress(h);
    ctx.b.addHost(a ? a.host : h, 'ungrouped', a?.port);
  }
}

/** Picks the parser like Ansible's plugin chain: YAML for .yml/.yaml/.json or no extension (if it is a mapping), else INI. */
async function loadFile(ctx: LoadCtx, file: string, text: string): Promise<void> {
  try {
    checkInputSize(text, file);
    const plugin = parseFile(ctx, file, text);
    if (plugin !== undefined)
      await loadInventoryPlugin(
        ctx.b,
        { file, plugin, earlier: ctx.earlier, ...vaultOpt(ctx.vaultPassword) },
        ctx.issues,
      );
  } catch (err) {
    // The host limit and the input limits are the user's input, not a bug: name the file.
    if (err instanceof InputError && !err.message.startsWith(file)) throw new InputError(`${file}: ${err.message}`);
    throw err;
  }
}

/** Parses a text inventory into the builder; returns the `plugin:` name of a plugin configuration instead. */
function parseFile(ctx: LoadCtx, file: string, text: string): string | undefined {
  const ext = extname(file);
  if (ext === '' || YAML_EXTS.includes(ext)) {
    const yamlIssues: ValidationIssue[] = [];
    const y = readYaml(text, file, yamlIssues);
    // Ansible's `auto` plugin reads plugin configurations from .yml/.yaml files only.
    const plugin = y && PLUGIN_EXTS.includes(ext) ? pluginName(y) : undefined;
    if (plugin !== undefined) return plugin;
    if (y && parseYamlInventory(ctx.b, y, ctx.issues, ctx.warnings) === 'parsed') return undefined;
    if (ext !== '') {
      ctx.issues.push(...yamlIssues);
      if (y)
        ctx.issues.push({
          code: 'yaml_structure',
          path: '',
          message: 'YAML inventory has invalid structure, it should be a dictionary',
          severity: 'error',
          file,
          line: 1,
          col: 1,
        });
      return undefined;
    }
  }
  parseIni(ctx.b, text, file, ctx.issues);
  return undefined;
}

function vaultOpt(password: string | undefined): { vaultPassword?: string } {
  return password !== undefined ? { vaultPassword: password } : {};
}
