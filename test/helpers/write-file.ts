/** Writing test files under a temporary directory. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Writes `root/rel` (creating its directories), optionally with a mode (0o755: a script); returns the path. */
export function writeUnder(root: string, rel: string, text: string, mode?: number): string {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  if (mode !== undefined) chmodSync(p, mode);
  return p;
}
