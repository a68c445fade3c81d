/**
 * A fuzz campaign: `cases` generated inputs shared among the loaders, run through the runner, counted by
 * outcome; crashing and hanging inputs written to `outDir` (with how they were made and how to
 * regenerate them) so they can become fixtures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Outcome } from './classify.js';
import { makeCase, type FuzzCase } from './generate.js';
import { loaderSpec, seedsOf } from './loaders.js';
import { CaseRunner, type CaseResult } from './runner.js';

export interface CampaignOptions {
  seed: number;
  /** Cases in all, shared evenly among the loaders. */
  cases: number;
  loaders: readonly string[];
  timeoutMs?: number;
  /** Where crashing and hanging inputs go; none written when undefined. */
  outDir?: string;
  /** A case over this many ms counts as slow (informational; default 1000). */
  slowMs?: number;
  onResult?: (r: CaseResult) => void;
}

export type Counts = Record<Outcome | 'slow' | 'unnamed', number>;

export interface Finding {
  loader: string;
  index: number;
  outcome: Outcome;
  error: string;
  ops: string[];
  ms: number;
  file?: string;
}

export interface CampaignSummary {
  seed: number;
  cases: number;
  perLoader: Record<string, Counts>;
  /** The ten slowest cases. */
  slowest: Finding[];
  /** The five cases after which the child's RSS was highest (`rss` in MB). */
  heaviest: (Finding & { rssMb: number })[];
  /** Every crash and hang. */
  findings: Finding[];
  /** Highest peak RSS of the processes that ran the cases, bytes. */
  peakRss: number;
  wallMs: number;
}

const emptyCounts = (): Counts => ({ clean: 0, accepted: 0, crash: 0, hang: 0, slow: 0, unnamed: 0 });

function finding(r: CaseResult): Finding {
  const { loader, index, ops } = r.fuzzCase;
  return { loader, index, outcome: r.verdict.outcome, error: r.verdict.error ?? '', ops, ms: Math.round(r.ms) };
}

function save(outDir: string, seed: number, r: CaseResult, f: Finding): string {
  const dir = path.join(outDir, f.loader);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${f.outcome}-seed${seed}-case${f.index}.input`);
  writeFileSync(file, r.fuzzCase.bytes);
  const again = `npm run fuzz -- --seed ${seed} --loader ${f.loader} --case ${f.index}`;
  writeFileSync(`${file}.json`, `${JSON.stringify({ ...f, file: undefined, again }, null, 2)}\n`);
  return file;
}

/** Runs the cases, loader by loader; `only` picks single cases (`--case N`) instead of 0..cases-1. */
export async function runCampaign(options: CampaignOptions, only?: readonly number[]): Promise<CampaignSummary> {
  const started = performance.now();
  const runner = new CaseRunner({ timeoutMs: options.timeoutMs ?? 5000 });
  const perLoader: Record<string, Counts> = {};
  const findings: Finding[] = [];
  let slowest: Finding[] = [];
  let heaviest: CampaignSummary['heaviest'] = [];
  try {
    for (const [k, name] of options.loaders.entries()) {
      const spec = loaderSpec(name);
      const share =
        Math.floor(options.cases / options.loaders.length) + (k < options.cases % options.loaders.length ? 1 : 0);
      const seeds = seedsOf(spec);
      const counts = (perLoader[name] = emptyCounts());
      const indexes = only ?? Array.from({ length: share }, (_, i) => i);
      for (const index of indexes) {
        const fuzzCase: FuzzCase = makeCase(spec, seeds, options.seed, index);
        const r = await runner.run(fuzzCase);
        options.onResult?.(r);
        counts[r.verdict.outcome]++;
        if (r.ms > (options.slowMs ?? 1000)) counts.slow++;
        if (r.verdict.unnamed) counts.unnamed++;
        const f = finding(r);
        if (r.verdict.outcome === 'crash' || r.verdict.outcome === 'hang') {
          if (options.outDir) f.file = save(options.outDir, options.seed, r, f);
          findings.push(f);
        }
        if (slowest.length < 10 || f.ms > (slowest.at(-1)?.ms ?? 0))
          slowest = [...slowest, f].sort((a, b) => b.ms - a.ms).slice(0, 10);
        const rssMb = Math.round(r.rss / 1024 / 1024);
        if (heaviest.length < 5 || rssMb > (heaviest.at(-1)?.rssMb ?? 0))
          heaviest = [...heaviest, { ...f, rssMb }].sort((a, b) => b.rssMb - a.rssMb).slice(0, 5);
      }
    }
  } finally {
    await runner.close();
  }
  const cases = Object.values(perLoader).reduce((n, c) => n + c.clean + c.accepted + c.crash + c.hang, 0);
  const wallMs = performance.now() - started;
  return { seed: options.seed, cases, perLoader, slowest, heaviest, findings, peakRss: runner.peakRss, wallMs };
}
