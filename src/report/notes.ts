/**
 * The responders' notes (`--notes notes.yaml`): what only people know — status, responders, what went
 * well and wrong, where we got lucky, and action items with owners. Everything is optional.
 *
 * ```yaml
 * status: resolved
 * responders: [alice (incident lead), bob]
 * summary: One paragraph for the top of the report.
 * went_well: [Isolation took under a minute on every host]
 * went_wrong: [n003 was unreachable: its sshd was down]
 * lucky: [The dropper had no persistence on n002]
 * action_items:
 *   - {what: Block outbound 22 at the edge, owner: bob, due: 2024-03-01, ticket: OPS-12}
 * ```
 */
import { z } from 'zod';
import type { ActionItem, LessonsSection } from './types.js';
import { readValidated } from '../core/yaml-validated.js';

/** The copy of the notes `firebreak run --notes` keeps in the run directory. */
export const NOTES_FILE = 'notes.yaml';

const text = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const lines = z.array(text).default([]);
const severity = z.enum(['info', 'low', 'medium', 'high', 'critical']);

export const notesSchema = z.strictObject({
  incident: text.optional(),
  title: text.optional(),
  severity: severity.optional(),
  status: text.optional(),
  responders: lines,
  summary: text.optional(),
  went_well: lines,
  went_wrong: lines,
  lucky: lines,
  action_items: z
    .array(
      z.union([
        text.transform((what) => ({ what })),
        z.strictObject({
          what: text,
          owner: text.optional(),
          due: text.optional(),
          status: text.optional(),
          ticket: text.optional(),
        }),
      ]),
    )
    .default([]),
});

export type Notes = z.output<typeof notesSchema>;

/** Read and validate a notes file; throws InputError with every problem. */
export function readNotes(file: string): Notes {
  return readValidated(file, notesSchema, 'notes file');
}

/** The lessons section: from the notes, or empty with `present: false` (the templates show a placeholder). */
export function lessonsFrom(notes: Notes | undefined, source: string | null): LessonsSection {
  if (!notes)
    return { present: false, source: null, summary: null, wentWell: [], wentWrong: [], lucky: [], actionItems: [] };
  const items: ActionItem[] = notes.action_items.map((a) => ({
    what: a.what,
    owner: 'owner' in a ? (a.owner ?? null) : null,
    due: 'due' in a ? (a.due ?? null) : null,
    status: 'status' in a ? (a.status ?? null) : null,
    ticket: 'ticket' in a ? (a.ticket ?? null) : null,
  }));
  return {
    present: true,
    source,
    summary: notes.summary ?? null,
    wentWell: notes.went_well,
    wentWrong: notes.went_wrong,
    lucky: notes.lucky,
    actionItems: items,
  };
}
