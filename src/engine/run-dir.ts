/**
 * The run directory: `runs/<UTC timestamp>-<runbook name>/` with `journal.jsonl`, `hosts/<host>/…`
 * (full step outputs, fetched files) and `summary.json`. Paths only, plus an atomic JSON writer.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Written atomically when a run ends: its recap, counts and exit code. */
export const SUMMARY_FILE = 'summary.json';

/** Lowercase, `[a-z0-9._-]` only, bounded length: safe as one path component. */
export function slug(text: string, max = 40): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '');
  return s || 'x';
}

/** `20240131T101500Z` — sortable, no characters that need quoting. */
export function utcStamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Create a fresh run directory; a suffix keeps two runs started in the same second apart. */
export function createRunDir(baseDir: string, runbookName: string, nowMs: number): { runId: string; dir: string } {
  mkdirSync(baseDir, { recursive: true });
  const base = `${utcStamp(nowMs)}-${slug(runbookName)}`;
  for (let i = 0; i < 1000; i++) {
    const runId = i === 0 ? base : `${base}-${i + 1}`;
    const dir = resolve(baseDir, runId);
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    mkdirSync(join(dir, 'hosts'));
    return { runId, dir };
  }
  throw new Error(`could not create a run directory under ${baseDir}`);
}

/**
 * Directory for one host's files, distinct for distinct host names. Names come from the inventory, so
 * they are slugged; a name the slug changed (`N003`, `../../etc`) gets a digest of the real name, so it
 * can never share a folder with another host (`n003`, `etc`) and mix or overwrite its outputs.
 */
export function hostDir(runDir: string, host: string): string {
  const safe = slug(host, 100);
  const folder = safe === host ? safe : `${safe}-${createHash('sha256').update(host).digest('hex').slice(0, 12)}`;
  return join(runDir, 'hosts', folder);
}

/** `<NN>-<phase>-<step-slug>`: the base name of a step's output files. */
export function stepFileBase(index: number, phase: string, stepName: string): string {
  return `${String(index).padStart(2, '0')}-${phase}-${slug(stepName)}`;
}

/** Write JSON so a reader never sees half a file: write a temp file, then rename over the target. */
export function writeJsonAtomic(path: string, data: unknown, redact: (text: string) => string = (t) => t): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, redact(JSON.stringify(data, null, 2)) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}
