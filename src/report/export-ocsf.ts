/**
 * Findings as OCSF Detection Finding events (class 2004 in category 2, Findings; schema 1.3), one
 * JSON object per line, for a SIEM or a security data lake. Built from the report model alone, in its
 * order (most severe kind first, then hosts in run order), so two renders of a run are identical.
 *
 * Each finding is a `Create` activity with status `New`: firebreak reports what it saw, triage
 * happens downstream. The host is the `device` and the one affected resource; the evidence the
 * finding was read from is an evidence artifact carrying its SHA-256 (as stored in the evidence
 * store), and an observable, so the SIEM can pivot from the finding to the object `evidence verify`
 * checks. What OCSF has no attribute for (run id, step, the parser's detail) is under `unmapped`.
 */
import { createHash } from 'node:crypto';
import type { FindingSeverity } from '../core/index.js';
import type { EvidenceEntry, FindingGroup, FindingItem, ReportModel } from './types.js';

export const OCSF_VERSION = '1.3.0';
const CLASS_UID = 2004;
const CATEGORY_UID = 2;
const ACTIVITY_CREATE = 1;

/** OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. */
export const OCSF_SEVERITY: Record<FindingSeverity, { id: number; name: string }> = {
  info: { id: 1, name: 'Informational' },
  low: { id: 2, name: 'Low' },
  medium: { id: 3, name: 'Medium' },
  high: { id: 4, name: 'High' },
  critical: { id: 5, name: 'Critical' },
};

// Enum values from the OCSF dictionary: observable type 1 Hostname, 8 Hash; fingerprint algorithm
// 3 SHA-256; file type 1 Regular File (an evidence object is a file in the store); device type 0 Unknown
// (the inventory does not say whether a host is a server, a desktop or a VM).
const OBSERVABLE_HOSTNAME = 1;
const OBSERVABLE_HASH = 8;
const SHA256_ALGORITHM = 3;

/**
 * Stable across re-renders of the run: a hash of what identifies a finding. Two identical findings
 * (same host, step, kind and words) get `#2`, `#3` in their hash input, in the model's order.
 */
function findingUid(runId: string, group: FindingGroup, item: FindingItem, seen: Map<string, number>): string {
  const key = [runId, item.host, item.step ?? '', group.kind, item.summary].join('\0');
  const n = (seen.get(key) ?? 0) + 1;
  seen.set(key, n);
  return createHash('sha256')
    .update(n === 1 ? key : `${key}\0#${n}`)
    .digest('hex');
}

/** The evidence artifacts of a finding: the objects holding the hash, or the bare hash when none is stored. */
function evidencesOf(item: FindingItem, entries: ReadonlyMap<string, EvidenceEntry>): Record<string, unknown>[] {
  if (!item.evidenceSha256) return [];
  const file = (name: string, size: number | null) => ({
    name,
    type_id: 1,
    type: 'Regular File',
    ...(size === null ? {} : { size }),
    hashes: [{ algorithm_id: SHA256_ALGORITHM, algorithm: 'SHA-256', value: item.evidenceSha256 }],
  });
  const stored = item.evidenceIds.flatMap((id) => entries.get(id) ?? []);
  if (!stored.length) return [{ file: file(item.evidenceSha256, null) }];
  return stored.map((e) => ({ uid: e.id, name: e.label ?? e.id, file: file(e.label ?? e.id, e.size) }));
}

export function ocsfFindings(model: ReportModel): Record<string, unknown>[] {
  const h = model.header;
  const entries = new Map(model.evidence.entries.map((e) => [e.id, e]));
  const seen = new Map<string, number>();
  return model.findings.groups.flatMap((g) =>
    g.items.map((item) => {
      const time = Date.parse(item.at);
      const evidences = evidencesOf(item, entries);
      return {
        activity_id: ACTIVITY_CREATE,
        activity_name: 'Create',
        category_uid: CATEGORY_UID,
        category_name: 'Findings',
        class_uid: CLASS_UID,
        class_name: 'Detection Finding',
        type_uid: CLASS_UID * 100 + ACTIVITY_CREATE,
        type_name: 'Detection Finding: Create',
        severity_id: OCSF_SEVERITY[g.severity].id,
        severity: OCSF_SEVERITY[g.severity].name,
        status_id: 1,
        status: 'New',
        time,
        message: item.summary,
        metadata: {
          version: OCSF_VERSION,
          product: { name: 'firebreak', vendor_name: 'firebreak', version: h.firebreakVersion },
          correlation_uid: h.runId,
        },
        finding_info: {
          uid: findingUid(h.runId, g, item, seen),
          title: `${g.kind} on ${item.host}`,
          desc: item.summary,
          types: [g.kind],
          created_time: time,
        },
        device: { hostname: item.host, name: item.host, type_id: 0, type: 'Unknown' },
        resources: [{ uid: item.host, name: item.host, type: 'host' }],
        ...(evidences.length ? { evidences } : {}),
        observables: [
          { name: 'device.hostname', type_id: OBSERVABLE_HOSTNAME, type: 'Hostname', value: item.host },
          ...(item.evidenceSha256
            ? [
                {
                  name: 'evidences.file.hashes.value',
                  type_id: OBSERVABLE_HASH,
                  type: 'Hash',
                  value: item.evidenceSha256,
                },
              ]
            : []),
        ],
        unmapped: {
          firebreak: {
            run_id: h.runId,
            incident_id: h.incidentId,
            phase: item.phase,
            step: item.step,
            evidence_ids: item.evidenceIds,
            detail: item.detail,
          },
        },
      };
    }),
  );
}

/** NDJSON: one Detection Finding per line; empty when the run found nothing. */
export function renderOcsf(model: ReportModel): string {
  return ocsfFindings(model)
    .map((f) => JSON.stringify(f) + '\n')
    .join('');
}
