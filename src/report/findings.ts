/**
 * Findings grouped by kind and severity (most severe first), each with the hosts affected and the
 * artifacts it was read from, so a reader can go from "14 outbound connections to port 22" to the
 * `ss -tanp` output that says so.
 */
import { severityRank, type Finding, type PhaseName } from '../core/index.js';
import { allSteps } from './fold.js';
import type { RunData } from './run-data.js';
import { countBySeverity, isSeverity } from './severity.js';
import type { FindingGroup, FindingItem, FindingsSection } from './types.js';

export function buildFindings(data: RunData): FindingsSection {
  const steps = allSteps(data.fold);
  // host + sha256 → artifact ids, to link a finding to the evidence it came from.
  const ids = new Map<string, string[]>();
  for (const s of steps)
    for (const a of s.artifacts)
      ids.set(`${s.host}\0${a.sha256}`, [...(ids.get(`${s.host}\0${a.sha256}`) ?? []), a.id]);

  const findings: (Finding & { at: string; phase: PhaseName })[] = steps.flatMap((s) =>
    s.findings.map((f) => ({
      ...f,
      severity: isSeverity(f.severity) ? f.severity : 'info',
      phase: s.phase,
      step: f.step ?? s.step,
    })),
  );
  const groups = new Map<string, FindingGroup>();
  for (const f of findings) {
    const key = `${f.kind}\0${f.severity}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { kind: f.kind, severity: f.severity, count: 0, hosts: [], items: [] }));
    const item: FindingItem = {
      host: f.host,
      hostAnchor: data.anchors.get(f.host) ?? '',
      summary: f.summary,
      phase: f.phase,
      step: f.step ?? null,
      at: f.at,
      evidenceSha256: f.evidence ?? null,
      evidenceIds: f.evidence ? (ids.get(`${f.host}\0${f.evidence}`) ?? []) : [],
      detail: f.detail ?? {},
    };
    g.items.push(item);
    g.count++;
    if (!g.hosts.includes(f.host)) g.hosts.push(f.host);
  }
  const sorted = [...groups.values()].sort(
    (a, b) => severityRank(b.severity) - severityRank(a.severity) || String(a.kind).localeCompare(String(b.kind)),
  );
  return { total: findings.length, bySeverity: countBySeverity(findings), groups: sorted };
}
