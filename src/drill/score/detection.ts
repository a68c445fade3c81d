/**
 * Detection: did the run's findings reveal what was planted? An indicator counts as found when a
 * finding on its host has the finding kind the scenario names for it and agrees on the identity values
 * both state (findingMatches). False positives: findings of severity medium or worse on hosts where nothing (or only `clean`) was planted.
 */
import { findingMatches } from '../../lab/index.js';
import { severityRank, type RunEvent } from '../../core/index.js';
import { isClean, type HostRole } from '../assign.js';
import type { Coverage, DetectionScore, FalsePositiveScore, FindingRef, IndicatorResult } from '../scorecard.js';
import { eventsOf } from './timeline.js';

/** A planted indicator as the lab recorded it, with the result of its check before the run. */
export interface PlantedIndicator {
  host: string;
  scenario: string;
  id: string;
  description: string;
  /** The finding kind that reveals it (scenario files may leave it out: then it is not scored). */
  finding?: string;
  /** Identity values (pid, user, path…) a finding must agree with; see findingMatches. */
  match?: Record<string, string | number>;
  /** Its check held inside the host before the run; null when not checked. */
  verified: boolean | null;
}

function coverage(items: readonly IndicatorResult[]): Coverage {
  const scored = items.filter((i) => i.scored);
  const found = scored.filter((i) => i.found).length;
  return { found, planted: scored.length, ratio: scored.length ? found / scored.length : null };
}

/** Every finding event as host/kind/severity/summary (the host is the inventory name the run used). */
export function findingRefs(events: readonly RunEvent[]): FindingRef[] {
  return eventsOf(events, 'finding').map((e) => ({
    host: e.host,
    kind: e.finding.kind,
    severity: e.finding.severity,
    summary: e.finding.summary,
  }));
}

export function scoreDetection(planted: readonly PlantedIndicator[], events: readonly RunEvent[]): DetectionScore {
  // The same matching as the lab's own coverage check: kind, and the identity values both sides state
  // (so one cron finding does not count for two different crontabs).
  const findings = eventsOf(events, 'finding').map((e) => ({ ...e.finding, host: e.host }));
  const indicators = planted.map((p): IndicatorResult => {
    const indicator = {
      id: p.id,
      kind: '',
      description: p.description,
      match: p.match ?? {},
      check: '',
      ...(p.finding ? { finding: p.finding } : {}),
    };
    const by = p.finding ? findings.find((f) => f.host === p.host && findingMatches(indicator, f)) : undefined;
    return {
      host: p.host,
      scenario: p.scenario,
      id: p.id,
      description: p.description,
      finding: p.finding ?? null,
      verified: p.verified,
      scored: p.finding !== undefined && p.verified !== false,
      found: by !== undefined,
      ...(by ? { foundBy: by.summary } : {}),
    };
  });
  const byScenario: Record<string, Coverage> = {};
  for (const scenario of [...new Set(indicators.map((i) => i.scenario))].sort())
    byScenario[scenario] = coverage(indicators.filter((i) => i.scenario === scenario));
  return { overall: coverage(indicators), byScenario, indicators };
}

export function scoreFalsePositives(roles: readonly HostRole[], events: readonly RunEvent[]): FalsePositiveScore {
  const cleanHosts = roles.filter(isClean).map((r) => r.host);
  const findings = findingRefs(events).filter(
    (f) => cleanHosts.includes(f.host) && severityRank(f.severity) >= severityRank('medium'),
  );
  return { count: findings.length, cleanHosts, findings };
}
