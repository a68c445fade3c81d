/**
 * Findings from collected artifacts, for any step: each artifact whose label is a fact's is parsed
 * by that fact, and the fact's findings get the parsed values of the facts it declares it needs
 * (when those were collected by the same step). Knows no fact by name.
 */
import type { CollectedOutput, Finding } from '../core/index.js';
import { ABSENT_PREFIX, FACTS, type AnyFact } from '../facts/index.js';

const BY_LABEL = new Map(FACTS.map((f) => [f.label, f]));

export function analyzeOutputs(host: string, outputs: readonly CollectedOutput[]): Finding[] {
  const byLabel = new Map(outputs.map((o) => [o.label, o]));
  const parsed = new Map<AnyFact, unknown>();
  /** A needed fact's parsed value; undefined when it was not collected (or its tool was absent). */
  const valueOf = (fact: AnyFact): unknown => {
    const o = byLabel.get(fact.label);
    if (!o || !fact.parse || o.text.startsWith(ABSENT_PREFIX)) return undefined;
    if (!parsed.has(fact)) parsed.set(fact, fact.parse(o.text));
    return parsed.get(fact);
  };
  const findings: Finding[] = [];
  for (const o of outputs) {
    const fact = BY_LABEL.get(o.label);
    if (!fact?.parse || !fact.findings || o.text.startsWith(ABSENT_PREFIX)) continue;
    const needed = Object.fromEntries(Object.entries(fact.needs ?? {}).map(([k, f]) => [k, valueOf(f as AnyFact)]));
    for (const f of fact.findings(host, fact.parse(o.text), needed))
      findings.push({ ...f, evidence: f.evidence ?? o.sha256 });
  }
  return findings;
}
