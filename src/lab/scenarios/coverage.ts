/**
 * Did a responder's findings reveal a planted indicator? Used by tests of the shipped runbooks and by
 * drill scoring. An indicator with a `finding` kind is found when a finding of that kind on the same
 * host agrees on every identity value both sides state (PID, user, path, address, library, mount,
 * key fingerprint); values the finding does not mention do not count against it.
 */
import type { Finding } from '../../core/index.js';
import type { Indicator, PlantedScenario } from '../state.js';

/** Indicator `match` key → the finding `detail` keys that carry the same identity. */
const IDENTITY: Record<string, string[]> = {
  pid: ['pid'],
  user: ['user'],
  path: ['path', 'file', 'alsoIn'],
  address: ['address', 'from'],
  from: ['from', 'address'],
  library: ['library', 'path'],
  mount: ['mount', 'mountpoint'],
  fingerprint: ['fingerprint'],
};

function agrees(expected: string, actual: unknown): boolean {
  if (Array.isArray(actual)) return actual.some((a) => String(a) === expected);
  return String(actual) === expected;
}

export function findingMatches(ind: Indicator, f: Finding): boolean {
  if (!ind.finding || f.kind !== ind.finding) return false;
  for (const [key, value] of Object.entries(ind.match)) {
    const aliases = IDENTITY[key];
    if (!aliases) continue;
    const present = aliases.filter((a) => f.detail[a] !== undefined);
    if (present.length && !present.some((a) => agrees(String(value), f.detail[a]))) return false;
  }
  return true;
}

export interface Coverage {
  /** Indicators a finding can reveal (those with a `finding` kind). */
  detectable: Indicator[];
  found: { indicator: Indicator; finding: Finding }[];
  missed: Indicator[];
}

/** Coverage of one planted scenario by the findings reported for its host. */
export function scenarioCoverage(planted: PlantedScenario, hostFindings: readonly Finding[]): Coverage {
  const detectable = planted.indicators.filter((i) => i.finding);
  const found: Coverage['found'] = [];
  const missed: Indicator[] = [];
  for (const indicator of detectable) {
    const finding = hostFindings.find((f) => findingMatches(indicator, f));
    if (finding) found.push({ indicator, finding });
    else missed.push(indicator);
  }
  return { detectable, found, missed };
}
