/**
 * Inputs the fuzzer once found crashing or hanging a loader, kept as fixtures under
 * test/fixtures/fuzz/<loader>/: a file holds the input itself; a `.gen.json` file describes an input
 * too big to commit (`{"parts": [["text", times], …]}`: each text repeated, then concatenated).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packagePath } from '../../src/core/package-root.js';
import type { FuzzCase } from './generate.js';

export const FIXTURE_DIR = packagePath('test/fixtures/fuzz');

function bytesOf(file: string): Buffer {
  if (!file.endsWith('.gen.json')) return readFileSync(file);
  const { parts } = JSON.parse(readFileSync(file, 'utf8')) as { parts: [string, number][] };
  return Buffer.from(parts.map(([text, times]) => text.repeat(times)).join(''));
}

/** Every fixture as a case (index 0: the file-name variant a target picks for even cases). */
export function fixtureCases(dir = FIXTURE_DIR): (FuzzCase & { file: string })[] {
  const loaders = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory());
  return loaders.flatMap(({ name: loader }) =>
    readdirSync(path.join(dir, loader))
      .sort()
      .map((f) => ({ loader, index: 0, bytes: bytesOf(path.join(dir, loader, f)), ops: [`fixture ${f}`], file: f })),
  );
}
