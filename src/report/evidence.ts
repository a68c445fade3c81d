/**
 * The evidence register: every artifact with its host, source, hashes, size, time and collector, and
 * the result of verifying the store *while the report is built* (re-hashing every object and checking
 * the manifest signature), so a report never vouches for evidence that was altered after the run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PhaseName } from '../core/index.js';
import { verifyEvidence, type Artifact, type VerifyResult } from '../evidence/index.js';
import { isArtifactShape } from '../evidence/manifest.js';
import { allSteps } from './fold.js';
import type { RunData } from './run-data.js';
import type { EvidenceEntry, EvidenceProblemView, EvidenceRegister, EvidenceStatus } from './types.js';

export async function buildEvidence(
  data: RunData,
  now: Date,
  trust: { publicKeyFile?: string; trustedKeysFile?: string } = {},
): Promise<EvidenceRegister> {
  const steps = allSteps(data.fold);
  // What the journal says was stored: the register's fallback when the manifest is missing.
  const stored: ArtifactLike[] = steps.flatMap((s) =>
    s.artifacts.map((a) => ({
      id: a.id,
      host: s.host,
      step: s.step,
      source: a.source,
      size: a.size,
      sha256AtRest: a.sha256,
      sha256AtSource: a.sha256AtSource,
      match: a.match,
    })),
  );
  const journaled = new Map(steps.flatMap((s) => s.artifacts.map((a) => [a.id, { ...a, phase: s.phase }] as const)));
  const verifiedAt = now.toISOString();

  if (!existsSync(join(data.runDir, 'evidence'))) {
    const entries: EvidenceEntry[] = stored.map((a) => ({
      ...entryOf(a, journaled, data.anchors),
      problems: ['not in the evidence store'],
    }));
    const problems: EvidenceProblemView[] = stored.length
      ? [
          {
            severity: 'error',
            code: 'store-missing',
            message: `the journal records ${stored.length} artifacts but the run directory has no evidence/ store`,
            artifactId: null,
            file: 'evidence',
          },
        ]
      : [];
    return register(
      stored.length ? 'failed' : 'absent',
      'none',
      null,
      stored.length ? 'journal' : 'none',
      verifiedAt,
      problems,
      entries,
    );
  }

  let result: VerifyResult;
  try {
    result = await verifyEvidence(data.runDir, { record: false, now: () => now, ...trust });
  } catch (err) {
    const problem: EvidenceProblemView = {
      severity: 'error',
      code: 'verify-error',
      message: `verification could not run: ${(err as Error).message}`,
      artifactId: null,
      file: null,
    };
    return register('error', 'unchecked', null, 'none', verifiedAt, [problem], []);
  }
  const problems: EvidenceProblemView[] = result.problems.map((p) => ({
    severity: p.severity,
    code: p.code,
    message: p.message,
    artifactId: p.artifact?.id ?? null,
    file: p.file ?? null,
  }));
  const manifest = readManifestArtifacts(data.runDir);
  const artifacts: ArtifactLike[] = manifest ?? stored;
  const byArtifact = new Map<string, string[]>();
  for (const p of problems)
    if (p.artifactId)
      byArtifact.set(p.artifactId, [...(byArtifact.get(p.artifactId) ?? []), `${p.code}: ${p.message}`]);
  const entries = artifacts.map((a) => ({
    ...entryOf(a, journaled, data.anchors),
    problems: byArtifact.get(a.id) ?? [],
  }));
  const status: EvidenceStatus = !result.ok ? 'failed' : result.signature === 'valid' ? 'verified' : 'unsigned';
  const from = manifest ? 'manifest' : artifacts.length ? 'journal' : 'none';
  return register(status, result.signature, result.key?.sha256 ?? null, from, verifiedAt, problems, entries);
}

type ArtifactLike = Pick<Artifact, 'id' | 'host' | 'step' | 'source' | 'size' | 'sha256AtRest'> &
  Partial<Pick<Artifact, 'sha256AtSource' | 'match' | 'collectedAt' | 'collector'>>;

function entryOf(
  a: ArtifactLike,
  journaled: ReadonlyMap<string, { label: string; at: string; phase: PhaseName }>,
  anchors: ReadonlyMap<string, string>,
): Omit<EvidenceEntry, 'problems'> {
  return {
    id: a.id,
    host: a.host,
    hostAnchor: anchors.get(a.host) ?? '',
    phase: journaled.get(a.id)?.phase ?? null,
    step: a.step,
    label: journaled.get(a.id)?.label ?? null,
    sourceKind: a.source.kind,
    source: a.source.value,
    size: a.size,
    sha256: a.sha256AtRest,
    sha256AtSource: a.sha256AtSource ?? null,
    match: a.match ?? null,
    collectedAt: a.collectedAt ?? null,
    storedAt: journaled.get(a.id)?.at ?? null,
    collectedBy: a.collector ? `${a.collector.user}@${a.collector.machine}` : null,
  };
}

/** The manifest's entries, or undefined when it is missing or unreadable (verification says why). */
function readManifestArtifacts(runDir: string): Artifact[] | undefined {
  try {
    const doc = JSON.parse(readFileSync(join(runDir, 'evidence', 'manifest.json'), 'utf8')) as { artifacts?: unknown };
    return Array.isArray(doc.artifacts) ? doc.artifacts.filter(isArtifactShape) : undefined;
  } catch {
    return undefined;
  }
}

function register(
  status: EvidenceStatus,
  signature: string,
  key: string | null,
  from: EvidenceRegister['artifactsFrom'],
  verifiedAt: string,
  problems: EvidenceProblemView[],
  entries: EvidenceEntry[],
): EvidenceRegister {
  return {
    status,
    signature,
    publicKeySha256: key,
    artifactsFrom: from,
    verifiedAt,
    errors: problems.filter((p) => p.severity === 'error').length,
    warnings: problems.filter((p) => p.severity === 'warning').length,
    problems,
    entries,
    totalBytes: entries.reduce((n, e) => n + e.size, 0),
  };
}
