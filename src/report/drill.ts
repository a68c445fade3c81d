import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * The extension point for game-day drills: a drill run adds a `drill` part to the report model,
 * rendered by the `drill` partial (templates/partials/drill.*.hbs) only when present. The drill
 * command owns what goes in here; the report only promises to carry it and render these fields.
 */

/** One line of a drill scorecard: `detection coverage  9/10  fail`. */
export const drillScoreSchema = z.object({
  label: z.string(),
  value: z.string(),
  /** `pass`, `fail`, or free text. */
  status: z.string().optional(),
});
export type DrillScore = z.infer<typeof drillScoreSchema>;

/** Loose: anything else the drill wants to keep in the JSON model (custom templates can render it). */
export const drillSectionSchema = z.looseObject({
  verdict: z.enum(['pass', 'fail']).optional(),
  summary: z.string().optional(),
  scores: z.array(drillScoreSchema).optional(),
});
export type DrillSection = z.infer<typeof drillSectionSchema>;

/** The part of `scorecard.json` (written by `firebreak drill`) the report reads, as plain data. */
interface ScorecardData {
  drill?: { name?: string; seed?: unknown };
  verdict?: {
    result?: string;
    checks?: { name: string; limit: unknown; actual: unknown; ok: boolean }[];
    reasons?: string[];
  };
  detection?: { overall?: { found: number; planted: number } };
  falsePositives?: { count: number };
  containment?: { stats?: { median: number | null; p95: number | null; max: number | null }; uncontained?: string[] };
  attackTraffic?: { afterIsolation: number };
  resilience?: { kind: string; host: string; when: string; status: string; outcome: string; handled: boolean | null }[];
  hypothesis?: { before?: { probe: string; ok: boolean }[]; after?: { probe: string; ok: boolean }[] };
  strengths?: string[];
  improvements?: string[];
}

const seconds = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${v} s`);

/** The drill part of a run directory: its `scorecard.json`, when `firebreak drill` wrote one. */
export function readDrillSection(runDir: string): DrillSection | undefined {
  let card: ScorecardData;
  try {
    card = JSON.parse(readFileSync(join(runDir, 'scorecard.json'), 'utf8')) as ScorecardData;
  } catch {
    return undefined;
  }
  const v = card.verdict;
  const cov = card.detection?.overall;
  const c = card.containment?.stats;
  const scores: DrillScore[] = [
    { label: 'detection coverage', value: cov ? `${cov.found}/${cov.planted}` : '—' },
    { label: 'false positives on clean hosts', value: String(card.falsePositives?.count ?? '—') },
    {
      label: 'time to contain (median / p95 / max)',
      value: `${seconds(c?.median)} / ${seconds(c?.p95)} / ${seconds(c?.max)}`,
    },
    { label: 'compromised hosts never isolated', value: String(card.containment?.uncontained?.length ?? '—') },
    { label: 'attack packets after isolation', value: String(card.attackTraffic?.afterIsolation ?? '—') },
    ...(card.resilience ?? []).map((f) => ({
      label: `fault ${f.kind} on ${f.host} (${f.when})`,
      value: `${f.status}, ${f.outcome}`,
      status: f.handled === null ? 'n/a' : f.handled ? 'handled' : 'not handled',
    })),
    ...[
      ...(card.hypothesis?.before ?? []).map((p) => ({ ...p, at: 'before' })),
      ...(card.hypothesis?.after ?? []).map((p) => ({ ...p, at: 'after' })),
    ].map((p) => ({
      label: `hypothesis ${p.probe} (${p.at})`,
      value: p.ok ? 'holds' : 'broken',
      status: p.ok ? 'pass' : 'fail',
    })),
    ...(v?.checks ?? []).map((t) => ({
      label: `threshold ${t.name}`,
      value: `${String(t.actual)} (limit ${String(t.limit)})`,
      status: t.ok ? 'pass' : 'fail',
    })),
  ];
  return {
    ...(v?.result === 'pass' || v?.result === 'fail'
      ? { verdict: v.result }
      : v?.result
        ? { verdict: 'fail' as const }
        : {}),
    summary: [`Drill ${card.drill?.name ?? ''} (seed ${String(card.drill?.seed ?? '?')}).`, ...(v?.reasons ?? [])].join(
      ' ',
    ),
    scores,
    strengths: card.strengths ?? [],
    improvements: card.improvements ?? [],
  };
}
