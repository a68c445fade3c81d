/**
 * What `firebreak run` adds for the post-incident report: the `--incident/--title/--severity/--notes`
 * options, `incident.json` (and a copy of the notes) written into the run directory when the run
 * starts, and `report.md` + `report.html` written when it ends. Writing the report can never lose the
 * run: a failure is printed with the way to retry, and the run keeps its exit code.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { firebreakVersion, InputError, type FindingSeverity } from '../core/index.js';
// The light parts of the report layer only: rendering (Handlebars and templates) loads while the run runs.
import { INCIDENT_FILE, INCIDENT_FORMAT, type Incident } from '../report/incident.js';
import { NOTES_FILE, readNotes } from '../report/notes.js';

export interface IncidentOptions {
  incident?: string;
  examiner?: string;
  title?: string;
  severity?: FindingSeverity;
  notes?: string;
}

const SEVERITIES: readonly FindingSeverity[] = ['info', 'low', 'medium', 'high', 'critical'];

function parseSeverity(value: string): FindingSeverity {
  if (!(SEVERITIES as readonly string[]).includes(value))
    throw new InputError(`--severity must be one of ${SEVERITIES.join(', ')}, got "${value}"`);
  return value as FindingSeverity;
}

export function addIncidentOptions(cmd: Command): Command {
  return cmd
    .option('--incident <id>', 'incident id for the report and the signed evidence manifest, e.g. INC-2291')
    .option('--examiner <name>', 'who runs the acquisition, named in the signed manifest (default: user@machine)')
    .option('--title <text>', 'incident title for the report')
    .option('--severity <level>', `incident severity: ${SEVERITIES.join(', ')}`, parseSeverity)
    .option('--notes <file>', "responders' notes YAML (status, responders, lessons, action items) for the report");
}

function whoAmI(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? `uid${process.getuid?.() ?? '?'}`;
  }
  return `${user}@${hostname()}`;
}

/** Check the incident options before anything connects (a bad notes file is bad input, exit 2). */
export function prepareIncident(runbookFile: string, opts: IncidentOptions): Incident {
  if (opts.notes) readNotes(opts.notes);
  return {
    format: INCIDENT_FORMAT,
    id: opts.incident ?? null,
    title: opts.title ?? null,
    severity: opts.severity ?? null,
    runbook: runbookFile,
    startedBy: whoAmI(),
    firebreakVersion: firebreakVersion(),
    createdAt: new Date().toISOString(),
    notes: opts.notes ? NOTES_FILE : null,
  };
}

/** incident.json and the notes copy, into the run directory before the run starts (sealed with it). A failure only warns. */
export function recordIncident(runDir: string, incident: Incident, opts: IncidentOptions): void {
  try {
    if (opts.notes) copyFileSync(opts.notes, join(runDir, NOTES_FILE));
    writeFileSync(join(runDir, INCIDENT_FILE), JSON.stringify(incident, null, 2) + '\n', { mode: 0o600 });
  } catch (err) {
    process.stderr.write(
      `firebreak: warning: could not write ${INCIDENT_FILE} into ${runDir}: ${(err as Error).message}\n`,
    );
  }
}

let rendering: Promise<typeof import('../report/index.js')> | undefined;

/** Start loading the report renderer in the background (the run mostly waits on the network meanwhile). */
export function prewarmReports(): void {
  rendering ??= import('../report/index.js');
  rendering.catch(() => undefined);
}

/** report.md and report.html into the finished run's directory; never throws (problems go to `err`). */
export async function writeRunReports(
  runDir: string,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream = process.stderr,
): Promise<void> {
  try {
    prewarmReports();
    const files = await (await (rendering as Promise<typeof import('../report/index.js')>)).writeReportFiles(runDir);
    out.write(`report: ${files.join('  ')}\n`);
  } catch (e) {
    err.write(
      `firebreak: could not write the report (${(e as Error).message}); the run itself is complete in ${runDir}: retry with \`firebreak report ${runDir} --format html --out report.html\`\n`,
    );
  }
}
