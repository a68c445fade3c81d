/**
 * Everything the report reads from a run directory, loaded once: the journal (folded), summary.json,
 * incident.json and the notes. Only files inside the run directory (plus an explicit `--notes`), so a
 * report can be rebuilt later, elsewhere, from a copy of the directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError, type HostRecap, type RunEvent } from '../core/index.js';
import { readJournalAround, type UnreadableLine } from '../journal/index.js';
import { foldEvents, type RunFold } from './fold.js';
import { readIncident, type Incident } from './incident.js';
import { NOTES_FILE, readNotes, type Notes } from './notes.js';

/** The fields of `summary.json` the report uses (written by the engine at the end of a run). */
export interface SummaryFile {
  runId: string;
  runbook: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  exitCode: number;
  aborted?: string;
  recap: HostRecap[];
}

export interface RunData {
  runDir: string;
  runId: string;
  events: RunEvent[];
  fold: RunFold;
  summary: SummaryFile | undefined;
  incident: Incident | undefined;
  notes: { notes: Notes; source: string } | undefined;
  /** Host name → unique anchor (`host-n001`). */
  anchors: Map<string, string>;
  /** Journal lines that were not events: the report is built around them and says how many. */
  journalUnreadable: UnreadableLine[];
}

/** `onWarning` hears of each journal line the report skipped, with the file and line number. */
export function loadRunData(runDir: string, notesFile?: string, onWarning?: (message: string) => void): RunData {
  const journal = join(runDir, 'journal.jsonl');
  if (!existsSync(journal)) throw new InputError(`${runDir} is not a run directory: it has no journal.jsonl`);
  const { events, unreadable } = readJournalAround(journal);
  for (const u of unreadable)
    onWarning?.(`${journal}:${u.line}: unreadable journal line skipped, the report is built around it (${u.message})`);
  const fold = foldEvents(events);
  const summary = readSummary(join(runDir, 'summary.json'));
  const incident = readIncident(runDir);
  return {
    runDir,
    runId: fold.started?.runId ?? summary?.runId ?? basename(runDir),
    events,
    fold,
    summary,
    incident,
    notes: loadNotes(runDir, notesFile, incident),
    anchors: hostAnchors([...fold.hosts.keys()]),
    journalUnreadable: unreadable,
  };
}

/** A summary.json that is missing or torn (a crashed run) is not an error: the journal still tells the story. */
function readSummary(file: string): SummaryFile | undefined {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as SummaryFile;
    return s && Array.isArray(s.recap) ? s : undefined;
  } catch {
    return undefined;
  }
}

/** `--notes` wins; else the copy `run --notes` kept in the run directory. */
function loadNotes(runDir: string, notesFile: string | undefined, incident: Incident | undefined): RunData['notes'] {
  if (notesFile) return { notes: readNotes(notesFile), source: notesFile };
  // Only a file inside the run directory: incident.json names it, but must not point elsewhere.
  const name = basename(incident?.notes ?? NOTES_FILE);
  const kept = join(runDir, name);
  return existsSync(kept) ? { notes: readNotes(kept), source: name } : undefined;
}

/** `host-<slug>`, unique: hosts whose names slug alike get `-2`, `-3`. */
export function hostAnchors(hosts: readonly string[]): Map<string, string> {
  const used = new Set<string>();
  const out = new Map<string, string>();
  for (const h of hosts) {
    const base = `host-${
      h
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, '-')
        .replace(/^-+|-+$/g, '') || 'x'
    }`;
    let a = base;
    for (let i = 2; used.has(a); i++) a = `${base}-${i}`;
    used.add(a);
    out.set(h, a);
  }
  return out;
}
