/**
 * Which parser reads which collected artifact. The parsers live in src/facts; this table is the only
 * place that knows both the labels of collect-sets.ts and the parsers' names.
 */
import type { CollectedOutput, Finding } from '../core/index.js';

type Analyzer = (host: string, text: string, all: ReadonlyMap<string, string>) => Finding[];

/** label → analyzer. Filled in as parsers exist; an artifact without one is stored, not parsed. */
export const ANALYZERS: Record<string, Analyzer> = {};

export function analyzeOutputs(host: string, outputs: CollectedOutput[]): Finding[] {
  const all = new Map(outputs.map((o) => [o.label, o.text]));
  const findings: Finding[] = [];
  for (const o of outputs) {
    const analyzer = ANALYZERS[o.label];
    if (!analyzer) continue;
    for (const f of analyzer(host, o.text, all)) findings.push({ ...f, evidence: f.evidence ?? o.sha256 });
  }
  return findings;
}
