/** This firebreak's version, from package.json (two levels up from both src/report and dist/report). */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function firebreakVersion(): string {
  if (cached === undefined) {
    try {
      cached = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
    } catch {
      cached = 'unknown';
    }
  }
  return cached;
}
