/**
 * The run directory outside the evidence store, against the seal: the journal link by link and as
 * sealed, every sealed file re-hashed, files added since named. Only the directory walk decides which
 * files are opened; paths in the manifest are only compared with it, never opened.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkChain, JOURNAL_FILE, type ChainCheck } from '../core/index.js';
import { hashFiles, sha256Hex } from './layout.js';
import { isSealedFile, isSealedJournal, MANIFEST_FORMAT, type Manifest, type SealedJournal } from './manifest.js';
import { listRunFiles } from './run-files.js';
import type { ProblemList, VerifyResult } from './verify-types.js';

/** Past this many broken links the rest are counted, not listed: a rewritten journal breaks at every line. */
const MAX_BREAKS_LISTED = 20;

type RunCheck = Pick<VerifyResult, 'sealed' | 'runFiles' | 'journal' | 'derived'>;

export async function checkRunDir(
  v: ProblemList,
  runDir: string,
  manifest: Partial<Manifest> | undefined,
): Promise<RunCheck> {
  const found = listRunFiles(runDir);
  const sealed: RunCheck['sealed'] = !manifest ? 'none' : manifest.format === MANIFEST_FORMAT ? 'run' : 'evidence';
  const journalFile = join(runDir, JOURNAL_FILE);
  let journal: RunCheck['journal'] = null;
  if (found.journal) {
    const bytes = readFileSync(journalFile);
    const chain = checkChain(bytes);
    journal = { lines: chain.lines, chained: chain.chained, torn: chain.torn };
    reportBreaks(v, journalFile, chain);
    if (sealed === 'run') checkSealedJournal(v, journalFile, bytes, manifest?.journal);
    else if (chain.torn)
      v.problem('journal-torn', 'the last line was cut short by a crash mid-write; it is not checked', {
        file: journalFile,
        severity: 'warning',
      });
  } else if (sealed === 'run' && isSealedJournal(manifest?.journal)) {
    v.problem('file-missing', 'sealed but missing', { file: journalFile });
  }
  if (sealed === 'run') await checkSealedFiles(v, runDir, found.files, manifest?.files);
  for (const path of found.other)
    v.problem('stray-file', 'not a regular file (a link?): never sealed, not checked', {
      file: join(runDir, path),
      severity: 'warning',
    });
  return { sealed, runFiles: found.files.length + (found.journal ? 1 : 0), journal, derived: found.derived };
}

function reportBreaks(v: ProblemList, file: string, chain: ChainCheck): void {
  for (const b of chain.breaks.slice(0, MAX_BREAKS_LISTED))
    v.problem('journal-chain', `line ${b.line} ${b.message}`, { file });
  const more = chain.breaks.length - MAX_BREAKS_LISTED;
  if (more > 0) v.problem('journal-chain', `${more} more lines do not link to the line before them`, { file });
}

function checkSealedJournal(v: ProblemList, file: string, bytes: Buffer, sealed: unknown): void {
  if (sealed === null) {
    v.problem('file-added', 'added after sealing (the run had no journal then)', { file });
    return;
  }
  if (!isSealedJournal(sealed)) return; // parseManifest already reported the malformed seal
  if (bytes.length === sealed.size && sha256Hex(bytes) === sealed.sha256) return;
  v.problem('journal-changed', describeJournalChange(bytes, sealed), { file });
}

function describeJournalChange(bytes: Buffer, sealed: SealedJournal): string {
  const was = `${sealed.lines} lines, ${sealed.size} bytes, head ${sealed.head.slice(0, 16)}`;
  if (bytes.length > sealed.size && sha256Hex(bytes.subarray(0, sealed.size)) === sealed.sha256)
    return `${bytes.length - sealed.size} bytes were appended after sealing (sealed: ${was})`;
  if (bytes.length < sealed.size) return `cut to ${bytes.length} of the ${sealed.size} bytes sealed (sealed: ${was})`;
  const now = checkChain(bytes);
  return `changed since sealing: sealed ${was}; now ${now.lines} lines, ${bytes.length} bytes, head ${now.head.slice(0, 16)}`;
}

async function checkSealedFiles(v: ProblemList, runDir: string, present: string[], list: unknown): Promise<void> {
  if (!Array.isArray(list)) return; // parseManifest already reported it
  const sealed = new Map(list.filter(isSealedFile).map((f) => [f.path, f]));
  const here = new Set(present);
  const hashed = [...sealed.keys()].filter((path) => here.has(path));
  const hashes = new Map(
    (await hashFiles(hashed.map((path) => join(runDir, path)))).map((h, i) => [hashed[i] as string, h]),
  );
  for (const [path, f] of sealed) {
    const file = join(runDir, path);
    const actual = hashes.get(path);
    if (!actual) {
      v.problem('file-missing', `sealed (${f.size} bytes) but missing`, { file });
      continue;
    }
    if (actual.size !== f.size)
      v.problem('file-changed', `changed since sealing: ${actual.size} bytes, ${f.size} when sealed`, { file });
    else if (actual.sha256 !== f.sha256)
      v.problem('file-changed', `changed since sealing: it hashes to ${actual.sha256}, sealed ${f.sha256}`, {
        file,
      });
  }
  for (const path of present)
    if (!sealed.has(path))
      v.problem('file-added', 'added after sealing, and not a derived file (a report)', {
        file: join(runDir, path),
      });
}
