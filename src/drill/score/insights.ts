/**
 * Strengths and areas to improve, derived from the scores (never written by hand), plus notes that are
 * neither (faults this machine cannot inject, indicators not scored). Each line names hosts and kinds,
 * so it can become an action item.
 */
import type { Measured } from './verdict.js';

export interface Insights {
  strengths: string[];
  improvements: string[];
  notes: string[];
}

function list(items: readonly string[], max = 6): string {
  const uniq = [...new Set(items)];
  return uniq.length > max ? `${uniq.slice(0, max).join(', ')} and ${uniq.length - max} more` : uniq.join(', ');
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const i of items) out.set(key(i), [...(out.get(key(i)) ?? []), i]);
  return out;
}

function detectionInsights(m: Measured, s: Insights): void {
  for (const [scenario, c] of Object.entries(m.detection.byScenario)) {
    if (c.planted > 0 && c.found === c.planted)
      s.strengths.push(`Found every planted indicator of ${scenario} (${c.found}/${c.planted}).`);
  }
  const missed = groupBy(
    m.detection.indicators.filter((i) => i.scored && !i.found),
    (i) => i.finding ?? '',
  );
  if (missed.size > 4) {
    // A host the run never collected misses everything: one line, not one per kind.
    const all = [...missed.values()].flat();
    s.improvements.push(
      `Missed ${all.length} indicators on ${list(all.map((i) => i.host))}: no ${list([...missed.keys()], 8)} findings — collect the evidence that reveals them and parse it.`,
    );
  } else {
    for (const [kind, items] of missed) {
      s.improvements.push(
        `Missed ${list(items.map((i) => i.id))} on ${list(items.map((i) => i.host))}: no ${kind} finding — collect the evidence that reveals it and parse it.`,
      );
    }
  }
  const unscored = m.detection.indicators.filter((i) => i.finding === null);
  if (unscored.length)
    s.notes.push(
      `${unscored.length} planted indicator(s) name no finding kind and are not scored: ${list(unscored.map((i) => i.id))}.`,
    );
  const unverified = m.detection.indicators.filter((i) => i.verified === false);
  if (unverified.length)
    s.notes.push(
      `${unverified.length} planted indicator(s) did not hold before the run and are not scored: ${list(unverified.map((i) => `${i.host}/${i.id}`))}.`,
    );
  const fp = m.falsePositives;
  if (fp.cleanHosts.length && fp.count === 0)
    s.strengths.push(`No false positives on ${fp.cleanHosts.length} clean host(s).`);
  if (fp.count)
    s.improvements.push(
      `${fp.count} finding(s) of medium severity or worse on clean hosts (${list(fp.findings.map((f) => f.kind))}) — tune those parsers.`,
    );
}

function responseInsights(m: Measured, s: Insights): void {
  const c = m.containment;
  if (c.contained.length && !c.uncontained.length)
    s.strengths.push(
      `Isolated all ${c.contained.length} compromised host(s): median ${c.stats.median} s, p95 ${c.stats.p95} s after the run started.`,
    );
  // The worst outcome first: an attacker left running on a host the runbook judged clean.
  if (c.leftInService?.length)
    s.improvements.unshift(
      `WORST: compromised host(s) judged clean and left in service (false negatives): ${list(c.leftInService)}. Lower the containment threshold or widen the triage.`,
    );
  const neverLeft = c.uncontained.filter((h) => !c.leftInService?.includes(h));
  if (neverLeft.length) s.improvements.push(`Compromised host(s) never isolated: ${list(neverLeft)}.`);
  if (c.isolatedNotCompromised.length)
    s.improvements.push(`Isolated host(s) that were not compromised: ${list(c.isolatedNotCompromised)}.`);
  const watched = m.attackTraffic.samples.some((x) => c.contained.some((h) => h.host === x.host));
  if (watched && m.attackTraffic.afterIsolation === 0)
    s.strengths.push('No attack traffic left any host after its isolation.');
  if (m.attackTraffic.afterIsolation)
    s.improvements.push(
      `${m.attackTraffic.afterIsolation} TCP/22 packet(s) left hosts after their isolation: the isolation did not hold.`,
    );
  const r = m.recovery;
  if ((r.rebuilt.length || r.restored.length) && !r.leftBroken.length)
    s.strengths.push(`Rebuilt ${r.rebuilt.length} and restored ${r.restored.length} host(s), none left broken.`);
  if (r.leftBroken.length) s.improvements.push(`Recovery started and did not finish on ${list(r.leftBroken)}.`);
  if (r.rebuiltNotCompromised?.length)
    s.improvements.push(`Rebuilt host(s) that were not compromised: ${list(r.rebuiltNotCompromised)}.`);
  if (
    c.contained.length &&
    !c.isolatedNotCompromised.length &&
    !r.rebuiltNotCompromised?.length &&
    m.falsePositives.cleanHosts.length > 0
  )
    s.strengths.push('No clean host was isolated or rebuilt: only the compromised ones were contained.');
}

function resilienceInsights(m: Measured, s: Insights): void {
  const injected = m.resilience.filter((f) => f.status === 'injected');
  const unreachable = injected.filter((f) => f.outcome === 'unreachable' && f.handled && !f.stoppedRun);
  if (unreachable.length)
    s.strengths.push(
      `Carried on past ${unreachable.length} faulty host(s) counted as unreachable: ${list(unreachable.map((f) => f.host))}.`,
    );
  const recovered = injected.filter((f) => f.outcome === 'retried-and-recovered');
  if (recovered.length)
    s.strengths.push(
      `Retried and recovered from ${recovered.length} fault(s): ${list(recovered.map((f) => `${f.kind} on ${f.host}`))}.`,
    );
  for (const f of injected.filter((x) => x.outcome === 'timed-out' || x.outcome === 'stalled')) {
    s.improvements.push(
      `${f.host}: a step hung ${f.outcome === 'timed-out' ? 'until its timeout' : 'until the drill stopped the run'} (${f.kind}${f.value ? ` ${f.value}` : ''}) — give steps that may hang a short timeout.`,
    );
  }
  for (const f of injected.filter((x) => x.stoppedRun))
    s.improvements.push(`One faulty host (${f.host}, ${f.kind}) stopped the whole run by max_fail_percentage.`);
  const unhandled = injected.filter((f) => f.handled === false);
  if (unhandled.length)
    s.improvements.push(
      `The run did not account for ${unhandled.length} fault(s): ${list(unhandled.map((f) => `${f.kind} on ${f.host}`))}.`,
    );
  for (const f of m.resilience.filter((x) => x.status !== 'injected'))
    s.notes.push(`Fault ${f.kind} on ${f.host} (${f.when}) ${f.status}: ${f.message ?? ''}`.trim());
}

function hypothesisInsights(m: Measured, s: Insights): void {
  const after = m.hypothesis.after;
  if (after.length && after.every((p) => p.ok))
    s.strengths.push(`The steady state held after the run (${after.map((p) => p.probe).join(', ')}).`);
  for (const p of after.filter((x) => !x.ok))
    s.improvements.push(
      `After the run, ${p.probe} failed on ${list(p.hosts.filter((h) => !h.ok).map((h) => h.host))}.`,
    );
  for (const p of m.hypothesis.before.filter((x) => !x.ok))
    s.notes.push(`Before the run, ${p.probe} failed on ${list(p.hosts.filter((h) => !h.ok).map((h) => h.host))}.`);
}

export function insights(m: Measured): Insights {
  const s: Insights = { strengths: [], improvements: [], notes: [] };
  detectionInsights(m, s);
  responseInsights(m, s);
  resilienceInsights(m, s);
  hypothesisInsights(m, s);
  return s;
}
