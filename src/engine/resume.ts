/**
 * Reading a crashed run back for `firebreak resume`: everything is checked before anything changes.
 * A run that finished, that another controller still writes, whose journal has no plan inputs (or
 * inputs of another format), or whose runbook file changed since it started is refused with the
 * reason (exit 8). What comes back: the journal's events, where each host stood, and the inputs
 * the run was started with, so the rest of the run is planned exactly as the start of it was.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { firebreakVersion, InputError, JOURNAL_FILE, NotResumableError, type RunEvent } from '../core/index.js';
import { EvidenceStore, evidencePaths } from '../evidence/index.js';
import { readJournal } from '../journal/index.js';
import { validateRunbook, type Runbook } from '../runbook/index.js';
import type { ResumePoint } from './executor-types.js';
import { replayJournal } from './replay.js';
import { RUN_INPUTS_FORMAT, runInputsSchema, type RunInputs } from './run-inputs.js';
import { SUMMARY_FILE } from './run-dir.js';
import { acquireRunLock, releaseRunLock, runLockState } from './run-lock.js';

export interface PreparedResume {
  sealOnly?: false;
  point: ResumePoint;
  inputs: RunInputs;
  runbook: Runbook;
}

/** A run that ended (summary.json written) but whose seal its controller did not live to write. */
export interface PreparedSeal {
  sealOnly: true;
  runDir: string;
  events: RunEvent[];
}

export function prepareResume(dir: string, opts: { runbookChangedOk?: boolean } = {}): PreparedResume | PreparedSeal {
  const runDir = resolve(dir);
  const journalPath = join(runDir, JOURNAL_FILE);
  if (!existsSync(journalPath)) throw new InputError(`${dir}: not a run directory (no ${JOURNAL_FILE})`);
  const lock = runLockState(runDir);
  if (lock.state === 'held')
    throw new NotResumableError(`${dir}: another controller is still writing this run: ${lock.detail}`);
  if (existsSync(join(runDir, SUMMARY_FILE))) {
    if (existsSync(evidencePaths(runDir).signature))
      throw new NotResumableError(
        `${dir}: the run finished (it has its ${SUMMARY_FILE} and its seal): nothing to resume; start a new run for what is left`,
      );
    // The controller died between summary.json and the seal: all that is left is the seal.
    return { sealOnly: true, runDir, events: readJournal(journalPath) };
  }
  const events = readJournal(journalPath);
  let position;
  try {
    position = replayJournal(events);
  } catch (err) {
    throw new NotResumableError(`${dir}: ${(err as Error).message}: nothing to resume`);
  }
  // A journal that ends with run.finished but has no summary: the controller died writing it. Resume
  // finds nothing left to run and writes the summary and the seal.
  const inputs = inputsOf(events, dir);
  const runbook = runbookOf(inputs, dir, opts.runbookChangedOk ?? false);
  return { point: { runDir, events, position }, inputs, runbook };
}

function inputsOf(events: readonly RunEvent[], dir: string): RunInputs {
  const e = events.find((x) => x.type === 'run.inputs');
  if (!e || e.type !== 'run.inputs')
    throw new NotResumableError(
      `${dir}: the journal does not record what the run was started with (a firebreak before resume wrote it): it cannot be resumed`,
    );
  const format = (e.inputs as { format?: unknown }).format;
  if (format !== RUN_INPUTS_FORMAT)
    throw new NotResumableError(
      `${dir}: its plan was written in format ${String(format)} by firebreak ${String((e.inputs as { firebreakVersion?: unknown }).firebreakVersion)}; this firebreak resumes format ${RUN_INPUTS_FORMAT} only: resume it with the firebreak that started it`,
    );
  const parsed = runInputsSchema.safeParse(e.inputs);
  if (!parsed.success)
    throw new NotResumableError(
      `${dir}: its journaled plan inputs are not readable: ${parsed.error.issues[0]?.message}`,
    );
  return parsed.data;
}

/** The runbook as it was loaded at the start; its file must not have changed since (unless accepted). */
function runbookOf(inputs: RunInputs, dir: string, changedOk: boolean): Runbook {
  const { runbook: rb } = inputs;
  const { runbook, issues } = validateRunbook(rb.loaded);
  if (!runbook)
    throw new NotResumableError(
      `${dir}: the journaled runbook is not valid for this firebreak (${issues[0]?.message ?? 'invalid'}): resume it with the firebreak that started it`,
    );
  if (rb.sha256 && !changedOk) {
    const path = join(rb.dir, basename(rb.file));
    const now = existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : undefined;
    if (now !== rb.sha256)
      throw new NotResumableError(
        `${dir}: the runbook ${path} ${now ? 'changed' : 'is gone'} since the run started (SHA-256 ${rb.sha256.slice(0, 12)}… then, ${now ? `${now.slice(0, 12)}… now` : 'no file now'}): ` +
          `resume runs the runbook as it was then; pass --runbook-changed-ok to accept that`,
      );
  }
  return runbook;
}

/**
 * Seal a run that ended before its seal (see PreparedSeal), under its lock: the store reopens, the
 * manifest is signed over the run directory as the run left it, with the case record it was started with.
 */
export async function sealEnded(prepared: PreparedSeal): Promise<void> {
  const { runDir, events } = prepared;
  const e = events.find((x) => x.type === 'run.inputs');
  const inputs = e?.type === 'run.inputs' ? runInputsSchema.safeParse(e.inputs) : undefined;
  const i = inputs?.success ? inputs.data : undefined;
  const caseRecord = {
    ...i?.options.caseRecord,
    firebreakVersion: i?.firebreakVersion ?? firebreakVersion(),
    ...(i?.runbook.sha256 ? { runbook: { file: i.runbook.file, sha256: i.runbook.sha256 } } : {}),
  };
  const lock = acquireRunLock(runDir);
  try {
    const store = await EvidenceStore.open(runDir, { caseRecord });
    // The lock must not be sealed (see executor.ts): it goes first, the seal is the last write.
    releaseRunLock(lock);
    await store.finalize();
  } finally {
    releaseRunLock(lock);
  }
}
