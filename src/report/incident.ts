/**
 * `incident.json`: what the responder said about the incident when starting the run (`firebreak run
 * --incident INC-2291 --title … --severity high --notes notes.yaml`), written into the run directory
 * at run start so the report can be rebuilt from the directory alone.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readValidated } from '../core/yaml-validated.js';

export const INCIDENT_FILE = 'incident.json';
export const INCIDENT_FORMAT = 'firebreak-incident/1';

export const incidentSchema = z.object({
  format: z.literal(INCIDENT_FORMAT),
  id: z.string().nullable(),
  title: z.string().nullable(),
  severity: z.enum(['info', 'low', 'medium', 'high', 'critical']).nullable(),
  /** The runbook file as given on the command line. */
  runbook: z.string(),
  /** `user@machine` that started the run. */
  startedBy: z.string(),
  firebreakVersion: z.string(),
  createdAt: z.string(),
  /** Run-dir-relative copy of the notes given with `--notes`, if any. */
  notes: z.string().nullable(),
});

export type Incident = z.output<typeof incidentSchema>;

/** The run's incident.json, or undefined when the run was started without one (older runs, the API). */
export function readIncident(runDir: string): Incident | undefined {
  const file = join(runDir, INCIDENT_FILE);
  return existsSync(file) ? readValidated(file, incidentSchema, 'incident file') : undefined;
}
