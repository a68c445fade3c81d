/** One fuzz case of a loader, regenerated from (seed, loader, index) alone. */
import { caseRng } from './rng.js';
import { mutate, wrapFragment } from './mutate.js';
import type { LoaderSpec } from './loaders.js';

export interface FuzzCase {
  loader: string;
  index: number;
  bytes: Buffer;
  /** How the input was made, e.g. `insert(alias-bomb)@120`. */
  ops: string[];
}

/** A fifth of the cases put a hostile fragment into a minimal valid input; the rest mutate a seed. */
export function makeCase(spec: LoaderSpec, seeds: readonly Buffer[], seed: number, index: number): FuzzCase {
  const rng = caseRng(seed, spec.name, index);
  const made =
    rng.chance(0.2) || seeds.length === 0
      ? wrapFragment(rng.pick(spec.templates), rng)
      : mutate(rng.pick(seeds), rng, seeds);
  return { loader: spec.name, index, ...made };
}
