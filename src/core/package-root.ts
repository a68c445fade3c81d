/**
 * Where firebreak's own files are (templates/, scenarios/, runbooks/, package.json): the nearest
 * directory above this module with firebreak's package.json. Found by walking up rather than by a
 * fixed `../..`, because this module runs from src/ (tsx), dist/ (tsc) and the bundled CLI
 * (dist/bundle/, one chunk file for many modules), each at a different depth.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'firebreak')
      return dir;
    if (dirname(dir) === dir) throw new Error(`firebreak's package.json not found above ${from}`);
  }
}

let root: string | undefined;

/** A path inside the firebreak package, e.g. `packagePath('templates')`. */
export function packagePath(...parts: string[]): string {
  root ??= findRoot(dirname(fileURLToPath(import.meta.url)));
  return join(root, ...parts);
}

let version: string | undefined;

/** firebreak's version, from its package.json. */
export function firebreakVersion(): string {
  version ??=
    (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  return version;
}
