/**
 * Seeded randomness for drills: which host gets which scenario and which fault. The same seed gives the
 * same drill, so a drill can be replayed exactly. Each purpose ("assign", "faults") draws from its own
 * stream, so adding a fault does not reshuffle the scenario assignment.
 */

/** A drill seed: a number or any text (`--seed 7`, `seed: game-day-3`). */
export type Seed = number | string;

/** 32-bit FNV-1a hash of text: turns a seed and a purpose into a generator state. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A generator of floats in [0, 1): mulberry32, small and good enough for shuffling hosts. */
export type Random = () => number;

export function seededRandom(seed: Seed, purpose: string): Random {
  let state = fnv1a(`${String(seed)}/${purpose}`);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A shuffled copy (Fisher–Yates). */
export function shuffle<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** A seed for a drill that was given none: printed and recorded, so the drill can still be replayed. */
export function freshSeed(): number {
  return Math.floor(Math.random() * 1_000_000);
}
