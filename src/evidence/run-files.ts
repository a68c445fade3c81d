/**
 * The run directory around the evidence store: which of its files the manifest seals, and reading them
 * back. Sealed: the journal (by its hash chain's head and its bytes) and every other regular file —
 * step outputs and fetched files under `hosts/`, `summary.json`, `incident.json`, the notes copy — as
 * they are when the run ends. Not sealed: the evidence store's own files (the manifest covers them in
 * its own way) and derived files, which are written after sealing and can be rebuilt from the sealed
 * ones: the reports (`firebreak report` re-renders them) and a drill's scorecard.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkChain, JOURNAL_FILE } from '../core/index.js';
import { EVIDENCE_DIR, hashFiles, sha256Hex } from './layout.js';
import type { SealedFile, SealedJournal } from './manifest.js';

/** Derived files at the top of a run directory: written after sealing, never sealed, allowed to change. */
export const DERIVED_FILES: readonly string[] = ['report.md', 'report.html', 'scorecard.json'];

/** The evidence store's own files and directories: checked by the evidence checks, not as run files. */
const STORE_ENTRIES = new Set(['objects', 'tmp', 'custody.jsonl', 'manifest.json', 'manifest.sig', 'manifest.pub.pem']);

/** What is in a run directory, by kind; paths relative to it, `/`-separated, sorted. */
export interface RunFiles {
  /** Regular files to seal or check, the journal excluded. */
  files: string[];
  journal: boolean;
  derived: string[];
  /** Symbolic links, sockets and the like: never sealed. */
  other: string[];
}

function skip(rel: string): boolean {
  const [top, name, ...rest] = rel.split('/');
  return top === EVIDENCE_DIR && name !== undefined && rest.length === 0 && STORE_ENTRIES.has(name);
}

/** Walk the run directory (no symbolic link is followed). */
export function listRunFiles(runDir: string): RunFiles {
  const out: RunFiles = { files: [], journal: false, derived: [], other: [] };
  const walk = (rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(rel ? join(runDir, rel) : runDir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      if (skip(path)) continue;
      const st = lstatSync(join(runDir, path));
      if (st.isDirectory()) walk(path);
      else if (!st.isFile()) out.other.push(path);
      else if (path === JOURNAL_FILE) out.journal = true;
      else if (DERIVED_FILES.includes(path)) out.derived.push(path);
      else out.files.push(path);
    }
  };
  walk('');
  return out;
}

/** What finalize() writes into the manifest about the run directory. */
export async function sealRunFiles(runDir: string): Promise<{ journal: SealedJournal | null; files: SealedFile[] }> {
  const found = listRunFiles(runDir);
  const hashes = await hashFiles(found.files.map((path) => join(runDir, path)));
  const files: SealedFile[] = found.files.map((path, i) => ({ path, ...hashes[i]! }));
  return { journal: found.journal ? sealJournal(join(runDir, JOURNAL_FILE)) : null, files };
}

function sealJournal(file: string): SealedJournal {
  const bytes = readFileSync(file);
  const chain = checkChain(bytes);
  return { path: JOURNAL_FILE, size: bytes.length, sha256: sha256Hex(bytes), lines: chain.lines, head: chain.head };
}
