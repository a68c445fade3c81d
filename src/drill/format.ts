/** The scorecard as text for a terminal: the verdict first, then each score on a few lines. Pure. */
import type { Coverage, FaultResult, ProbeResult, Scorecard, TimeStats } from './scorecard.js';

export function pct(c: Coverage): string {
  return c.ratio === null ? 'n/a' : `${Math.round(c.ratio * 100)}%`;
}

export function coverageText(c: Coverage): string {
  return `${c.found}/${c.planted} (${pct(c)})`;
}

export function statsText(s: TimeStats): string {
  return s.count === 0 ? 'none' : `median ${s.median} s, p95 ${s.p95} s, max ${s.max} s`;
}

function faultLine(f: FaultResult): string {
  const what = `${f.kind}${f.value ? ` ${f.value}` : ''} on ${f.host} (${f.when})`;
  if (f.status !== 'injected') return `${what}: ${f.status}${f.message ? ` — ${f.message}` : ''}`;
  return `${what}: ${f.outcome}, ${f.handled ? 'handled' : 'NOT handled'} — ${f.detail}`;
}

function probeLine(p: ProbeResult): string {
  const bad = p.hosts.filter((h) => !h.ok);
  const tail = bad.length
    ? ` — ${bad
        .slice(0, 3)
        .map((h) => `${h.host}: ${h.detail}`)
        .join('; ')}${bad.length > 3 ? ` (+${bad.length - 3})` : ''}`
    : '';
  return `${p.ok ? '✔' : '✖'} ${p.probe} ${p.hosts.length - bad.length}/${p.hosts.length}${p.required ? '' : ' (informational)'}${tail}`;
}

/** `label  first line` then continuation lines indented under it. */
function block(label: string, lines: readonly string[]): string[] {
  const pad = ' '.repeat(13);
  return lines.map((l, i) => (i === 0 ? `  ${label.padEnd(11)}${l}` : `${pad}${l}`));
}

export function formatScorecard(sc: Scorecard): string {
  const out: string[] = [];
  out.push(`drill ${sc.drill.name} (seed ${sc.drill.seed}): ${sc.verdict.result.toUpperCase()}`);
  const run = sc.run
    ? `run ${sc.run.runId}, exit ${sc.run.exitCode ?? '-'}${sc.run.aborted ? `, aborted: ${sc.run.aborted}` : ''}`
    : 'the runbook did not run';
  out.push(`  ${sc.drill.runbook} on ${sc.drill.hosts} lab host(s); ${run}; ${sc.durationSeconds} s`);
  const d = sc.detection;
  const missed = d.indicators.filter((i) => i.scored && !i.found);
  out.push(
    ...block('detection', [
      `${coverageText(d.overall)} indicators found; ${
        Object.entries(d.byScenario)
          .map(([s, c]) => `${s} ${coverageText(c)}`)
          .join(', ') || 'nothing planted'
      }`,
      ...(missed.length
        ? [
            `missed: ${missed
              .slice(0, 8)
              .map((i) => `${i.host}/${i.id} (${i.finding})`)
              .join(', ')}${missed.length > 8 ? ` and ${missed.length - 8} more` : ''}`,
          ]
        : []),
    ]),
  );
  out.push(
    ...block('false pos.', [
      `${sc.falsePositives.count} on ${sc.falsePositives.cleanHosts.length} clean host(s)${
        sc.falsePositives.count
          ? `: ${sc.falsePositives.findings
              .slice(0, 3)
              .map((f) => `${f.host} ${f.kind} (${f.severity})`)
              .join(', ')}`
          : ''
      }`,
    ]),
  );
  const c = sc.containment;
  const compromised = c.contained.length + c.uncontained.length;
  out.push(
    ...block('contained', [
      compromised
        ? `${c.contained.length}/${compromised} compromised host(s) isolated: ${statsText(c.stats)}${c.uncontained.length ? `; never: ${c.uncontained.join(', ')}` : ''}`
        : 'no compromised hosts',
      ...(c.leftInService?.length
        ? [`FALSE NEGATIVES (left in service while compromised): ${c.leftInService.join(', ')}`]
        : []),
      `clean host(s) isolated: ${c.isolatedNotCompromised.length}${c.isolatedNotCompromised.length ? ` (${c.isolatedNotCompromised.join(', ')})` : ''}`,
      `attack traffic after isolation: ${sc.attackTraffic.afterIsolation} packet(s)`,
    ]),
  );
  const r = sc.recovery;
  out.push(
    ...block('recovery', [
      r.rebuilt.length || r.restored.length || r.leftBroken.length
        ? `rebuilt ${r.rebuilt.length} (${statsText(r.rebuildStats)}), restored ${r.restored.length} (${statsText(r.restoreStats)}), left broken ${r.leftBroken.length}, rebuilt without need ${r.rebuiltNotCompromised?.length ?? '-'}`
        : 'not exercised (no rebuild or restore step ran)',
    ]),
  );
  out.push(...block('resilience', sc.resilience.length ? sc.resilience.map(faultLine) : ['no faults injected']));
  out.push(
    ...block(
      'hypothesis',
      [
        ...sc.hypothesis.before.map((p) => `before ${probeLine(p)}`),
        ...sc.hypothesis.after.map((p) => `after  ${probeLine(p)}`),
      ].concat(sc.hypothesis.before.length + sc.hypothesis.after.length ? [] : ['no probes']),
    ),
  );
  out.push(
    ...block(
      'thresholds',
      sc.verdict.checks.length
        ? sc.verdict.checks.map(
            (t) =>
              `${t.ok ? '✔' : '✖'} ${t.name} ${t.limit} (measured ${t.actual === null ? 'nothing' : typeof t.actual === 'number' ? Math.round(t.actual * 1000) / 1000 : t.actual})`,
          )
        : ['none set'],
    ),
  );
  if (sc.strengths.length)
    out.push(
      ...block(
        'strengths',
        sc.strengths.map((s) => `+ ${s}`),
      ),
    );
  if (sc.improvements.length)
    out.push(
      ...block(
        'improve',
        sc.improvements.map((s) => `- ${s}`),
      ),
    );
  if (sc.notes.length)
    out.push(
      ...block(
        'notes',
        sc.notes.map((s) => `· ${s}`),
      ),
    );
  if (sc.verdict.reasons.length) out.push(...block('verdict', sc.verdict.reasons));
  return out.join('\n');
}
