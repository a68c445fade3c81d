/**
 * `end_host`: end this host's part of the run here, cleanly and visibly (Ansible's `meta: end_host`).
 * No later step or phase runs on it, and it is not failed: with `when`, a host whose triage showed
 * nothing serious is left in service instead of being isolated and rebuilt. The reason and the
 * evidence the decision rests on (`from`: the registered results it read) are journaled as
 * `host.ended` and shown in the progress, the recap and the report. It runs nothing on the host.
 */
import { z } from 'zod';
import { severityRank, type FindingSeverity, type HostEnd } from '../core/index.js';
import { defineStepType } from './define.js';
import { allFindingsFrom, artifactsFrom } from './registered.js';

const object = z.strictObject({
  reason: z.string().min(1).describe("Why the host's run ends here (shown in the progress, recap and report)"),
  from: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .optional()
    .describe('Registered results the decision rests on: their evidence ids and findings are journaled with it'),
});

/** The evidence and findings of the results named in `from` (none at `firebreak plan` time). */
function basis(registered: Record<string, unknown>, from: readonly string[], step: string): Omit<HostEnd, 'reason'> {
  const evidence: string[] = [];
  let findings = 0;
  let highest: FindingSeverity | null = null;
  for (const name of from) {
    evidence.push(...artifactsFrom(registered, name, step).items.map((a) => a.id));
    for (const f of allFindingsFrom(registered, name, step).items) {
      findings++;
      if (highest === null || severityRank(f.severity) > severityRank(highest)) highest = f.severity;
    }
  }
  return { evidence, findings, highest };
}

export const endHost = defineStepType({
  type: 'end_host',
  description: "End this host's part of the run (not failed): no later step or phase runs on it",
  schema: z
    .union([
      z
        .string()
        .min(1)
        .transform((reason) => ({ reason })),
      object,
    ])
    .pipe(object),
  shellFields: [],
  changes: false,
  // It only reads what the journal holds: a crash while it "ran" lets it run again.
  rerunSafe: true,
  plan: () => [],
  ends(p, ctx) {
    const from = p.from === undefined ? [] : typeof p.from === 'string' ? [p.from] : p.from;
    return { reason: p.reason, ...basis(ctx.registered, from, 'end_host') };
  },
});
