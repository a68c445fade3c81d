/**
 * `group_vars/` and `host_vars/` beside an inventory source, found the way Ansible's
 * host_group_vars plugin and DataLoader.find_vars_files find them: `<dir>/<name>` with no
 * extension, `.yml`, `.yaml` or `.json` (first match wins), or a directory `<name>/` whose files
 * (recursively, sorted, hidden and `~` backups skipped) are merged in order.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { ValidationIssue } from '../core/errors.js';
import type { Vars } from './model.js';
import { isVaultText } from './vault.js';
import { openVaultFile, VaultedValue } from './vault-values.js';
import { issueAt, readYaml, toPlain } from './yaml-doc.js';

const EXTENSIONS = ['', '.yml', '.yaml', '.json'];
/** Bound on nested vars directories, so a symlink loop cannot hang the loader. */
const MAX_DEPTH = 16;

async function kind(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** Files that hold variables for `name` under the directory `dir` (e.g. `inventories/group_vars`), in merge order. */
export async function findVarsFiles(dir: string, name: string): Promise<string[]> {
  // Ansible skips entity names that are absolute paths.
  if (name.startsWith('/')) return [];
  for (const ext of EXTENSIONS) {
    const full = join(dir, name) + ext;
    const k = await kind(full);
    if (k === 'dir') return dirVarsFiles(full, 0);
    if (k === 'file') return [full];
  }
  return [];
}

async function dirVarsFiles(dir: string, depth: number): Promise<string[]> {
  if (depth > MAX_DEPTH) return [];
  const out: string[] = [];
  const entries = (await readdir(dir)).sort();
  for (const e of entries) {
    if (e.startsWith('.') || e.endsWith('~')) continue;
    const full = join(dir, e);
    const ext = extname(e);
    const k = await kind(full);
    if (k === 'dir' && !ext) out.push(...(await dirVarsFiles(full, depth + 1)));
    else if (k === 'file' && (!ext || EXTENSIONS.includes(ext))) out.push(full);
  }
  return out;
}

/**
 * Reads and merges (shallowly, later files win) the vars files; problems go to `issues`. A
 * vault-encrypted file is decrypted with `vaultPassword`; its values are VaultedValues (secrets).
 */
export async function loadVarsFiles(files: string[], issues: ValidationIssue[], vaultPassword?: string): Promise<Vars> {
  let out: Vars = {};
  for (const f of files) {
    let text = await readFile(f, 'utf8');
    const vaulted = isVaultText(text);
    if (vaulted) {
      const clear = openVaultFile(text, f, vaultPassword, issues);
      if (clear === undefined) continue;
      text = clear;
    }
    const y = readYaml(text, f, issues);
    if (!y) continue;
    const v = toPlain(y, y.doc.contents);
    // Ansible ignores empty files (null, {}, '').
    if (v === null || v === undefined || v === '' || (typeof v === 'object' && Object.keys(v).length === 0)) continue;
    if (typeof v !== 'object' || Array.isArray(v)) {
      issues.push(
        issueAt(
          y,
          y.doc.contents,
          'vars_file',
          `Variables file must contain a mapping, got ${Array.isArray(v) ? 'a list' : typeof v}`,
        ),
      );
      continue;
    }
    const vars = v as Vars;
    if (vaulted) for (const k of Object.keys(vars)) vars[k] = VaultedValue.decrypted(f, vars[k]);
    out = { ...out, ...vars };
  }
  return out;
}
