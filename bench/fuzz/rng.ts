/**
 * A small seeded PRNG for the fuzz harness. Every case draws from its own generator, derived from
 * (seed, loader, case number), so any single case can be regenerated without replaying the others.
 */

/** Deterministic random numbers (mulberry32: fast, 32-bit state, good enough for mutation choices). */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** Mostly small, sometimes huge: one of the sizes, picked uniformly. */
  size(ladder: readonly number[] = [1, 10, 100, 1000, 10_000, 100_000]): number {
    return this.pick(ladder);
  }
}

/** FNV-1a over a string: turns (seed, loader, case) into a generator seed. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The generator of one case. */
export function caseRng(seed: number, loader: string, index: number): Rng {
  return new Rng(hash(`${seed}/${loader}/${index}`));
}
