// What the build is made from, as one SHA-256 over every input file's path and bytes: the sources, the
// report templates, the TypeScript and npm manifests, the build scripts. `npm run build` records it in
// dist/; `npm test` rebuilds only when it changed (CI builds once in `npm ci`, not again per Node version).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
export const STAMP = join(root, 'dist', '.build-inputs.sha256');
const INPUTS = [
  'src',
  'templates',
  'scripts/build-cli.mjs',
  'scripts/build-inputs.mjs',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
  'package-lock.json',
];

function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)));
}

export function buildInputsHash() {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap((p) => files(join(root, p)))) {
    hash.update(`${relative(root, file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}
