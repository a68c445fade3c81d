/**
 * `firebreak drill compare A B`: two scorecards side by side, each metric marked better or worse in B
 * (did the runbook change help?). Reading is the only side effect; the comparison is pure.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/index.js';
import { coverageText } from './format.js';
import { SCORECARD_FILE, SCORECARD_VERSION, type Coverage, type Scorecard } from './scorecard.js';

/** A run directory or a scorecard.json path. */
export function readScorecard(path: string): Scorecard {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, SCORECARD_FILE) : path;
  let data: Partial<Scorecard>;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as Partial<Scorecard>;
  } catch (e) {
    throw new InputError(
      `${file}: cannot read a scorecard: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  if (data.version !== SCORECARD_VERSION || !data.verdict || !data.detection)
    throw new InputError(
      `${file} is not a drill scorecard this firebreak understands (version ${String(data.version)})`,
    );
  return data as Scorecard;
}

export type Change = 'better' | 'worse' | 'same' | '';

export interface CompareRow {
  metric: string;
  a: string;
  b: string;
  change: Change;
}

/** Direction of a numeric metric: which way is better. Null values (not measured) are not compared. */
function change(a: number | null | undefined, b: number | null | undefined, better: 'higher' | 'lower'): Change {
  if (a === null || a === undefined || b === null || b === undefined) return '';
  if (a === b) return 'same';
  return b > a === (better === 'higher') ? 'better' : 'worse';
}

const num = (v: number | null | undefined, unit = ''): string => (v === null || v === undefined ? '-' : `${v}${unit}`);

function coverageRow(metric: string, a: Coverage | undefined, b: Coverage | undefined): CompareRow {
  return {
    metric,
    a: a ? coverageText(a) : '-',
    b: b ? coverageText(b) : '-',
    change: change(a?.ratio, b?.ratio, 'higher'),
  };
}

/** Restored hosts that were compromised (contained or not). */
function restoredCompromised(s: Scorecard): number {
  const compromised = new Set([...s.containment.contained.map((h) => h.host), ...s.containment.uncontained]);
  return s.recovery.restored.filter((h) => compromised.has(h.host)).length;
}

export function compareScorecards(a: Scorecard, b: Scorecard): CompareRow[] {
  const handled = (s: Scorecard): number => s.resilience.filter((f) => f.handled).length;
  const injected = (s: Scorecard): number => s.resilience.filter((f) => f.status === 'injected').length;
  const probesOk = (s: Scorecard): number => s.hypothesis.after.filter((p) => p.ok).length;
  const rank = { pass: 2, fail: 1, aborted: 0 } as const;
  const scenarios = [
    ...new Set([...Object.keys(a.detection.byScenario), ...Object.keys(b.detection.byScenario)]),
  ].sort();
  return [
    {
      metric: 'verdict',
      a: a.verdict.result,
      b: b.verdict.result,
      change: change(rank[a.verdict.result], rank[b.verdict.result], 'higher'),
    },
    { metric: 'runbook', a: a.drill.runbook, b: b.drill.runbook, change: '' },
    { metric: 'seed', a: String(a.drill.seed), b: String(b.drill.seed), change: '' },
    coverageRow('coverage', a.detection.overall, b.detection.overall),
    ...scenarios.map((s) => coverageRow(`  ${s}`, a.detection.byScenario[s], b.detection.byScenario[s])),
    {
      metric: 'false positives',
      a: String(a.falsePositives.count),
      b: String(b.falsePositives.count),
      change: change(a.falsePositives.count, b.falsePositives.count, 'lower'),
    },
    {
      metric: 'uncontained',
      a: String(a.containment.uncontained.length),
      b: String(b.containment.uncontained.length),
      change: change(a.containment.uncontained.length, b.containment.uncontained.length, 'lower'),
    },
    {
      metric: 'left in service (false negatives)',
      a: String(a.containment.leftInService?.length ?? '-'),
      b: String(b.containment.leftInService?.length ?? '-'),
      change: change(a.containment.leftInService?.length, b.containment.leftInService?.length, 'lower'),
    },
    {
      metric: 'clean hosts isolated',
      a: String(a.containment.isolatedNotCompromised.length),
      b: String(b.containment.isolatedNotCompromised.length),
      change: change(a.containment.isolatedNotCompromised.length, b.containment.isolatedNotCompromised.length, 'lower'),
    },
    {
      metric: 'containment median',
      a: num(a.containment.stats.median, ' s'),
      b: num(b.containment.stats.median, ' s'),
      change: change(a.containment.stats.median, b.containment.stats.median, 'lower'),
    },
    {
      metric: 'containment p95',
      a: num(a.containment.stats.p95, ' s'),
      b: num(b.containment.stats.p95, ' s'),
      change: change(a.containment.stats.p95, b.containment.stats.p95, 'lower'),
    },
    {
      metric: 'containment max',
      a: num(a.containment.stats.max, ' s'),
      b: num(b.containment.stats.max, ' s'),
      change: change(a.containment.stats.max, b.containment.stats.max, 'lower'),
    },
    {
      metric: 'attack traffic after isolation',
      a: String(a.attackTraffic.afterIsolation),
      b: String(b.attackTraffic.afterIsolation),
      change: change(a.attackTraffic.afterIsolation, b.attackTraffic.afterIsolation, 'lower'),
    },
    {
      // Restoring a clean host is no achievement (it was rebuilt without need): count the compromised ones.
      metric: 'compromised hosts restored',
      a: String(restoredCompromised(a)),
      b: String(restoredCompromised(b)),
      change: change(restoredCompromised(a), restoredCompromised(b), 'higher'),
    },
    {
      metric: 'recovery p95',
      a: num(a.recovery.restoreStats.p95 ?? a.recovery.rebuildStats.p95, ' s'),
      b: num(b.recovery.restoreStats.p95 ?? b.recovery.rebuildStats.p95, ' s'),
      change: change(
        a.recovery.restoreStats.p95 ?? a.recovery.rebuildStats.p95,
        b.recovery.restoreStats.p95 ?? b.recovery.rebuildStats.p95,
        'lower',
      ),
    },
    {
      metric: 'rebuilt without need',
      a: String(a.recovery.rebuiltNotCompromised?.length ?? '-'),
      b: String(b.recovery.rebuiltNotCompromised?.length ?? '-'),
      change: change(a.recovery.rebuiltNotCompromised?.length, b.recovery.rebuiltNotCompromised?.length, 'lower'),
    },
    {
      metric: 'left broken',
      a: String(a.recovery.leftBroken.length),
      b: String(b.recovery.leftBroken.length),
      change: change(a.recovery.leftBroken.length, b.recovery.leftBroken.length, 'lower'),
    },
    {
      metric: 'faults handled',
      a: `${handled(a)}/${injected(a)}`,
      b: `${handled(b)}/${injected(b)}`,
      change: change(
        injected(a) ? handled(a) / injected(a) : null,
        injected(b) ? handled(b) / injected(b) : null,
        'higher',
      ),
    },
    {
      metric: 'hypothesis after',
      a: `${probesOk(a)}/${a.hypothesis.after.length} held`,
      b: `${probesOk(b)}/${b.hypothesis.after.length} held`,
      change: change(probesOk(a) - a.hypothesis.after.length, probesOk(b) - b.hypothesis.after.length, 'higher'),
    },
    { metric: 'drill duration', a: `${a.durationSeconds} s`, b: `${b.durationSeconds} s`, change: '' },
  ];
}

export function formatComparison(a: Scorecard, b: Scorecard, labels: [string, string]): string {
  const rows = compareScorecards(a, b);
  const w0 = Math.max(6, ...rows.map((r) => r.metric.length));
  const w1 = Math.max(labels[0].length, ...rows.map((r) => r.a.length));
  const w2 = Math.max(labels[1].length, ...rows.map((r) => r.b.length));
  const mark: Record<Change, string> = { better: '▲ better', worse: '▼ worse', same: '= same', '': '' };
  const line = (m: string, x: string, y: string, c: string): string =>
    `${m.padEnd(w0)}  ${x.padEnd(w1)}  ${y.padEnd(w2)}  ${c}`.trimEnd();
  const out = [line('', labels[0], labels[1], 'B vs A'), ...rows.map((r) => line(r.metric, r.a, r.b, mark[r.change]))];
  if (a.drill.seed !== b.drill.seed)
    out.push(
      `note: the seeds differ (${a.drill.seed}, ${b.drill.seed}): the hosts got different scenarios and faults.`,
    );
  if (a.drill.name !== b.drill.name) out.push(`note: different drills (${a.drill.name}, ${b.drill.name}).`);
  return out.join('\n');
}
