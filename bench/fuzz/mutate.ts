/**
 * Mutations of a seed file: byte flips and interesting bytes, deletions, repeated chunks and lines,
 * hostile fragments inserted where structure starts (a line start, after `: `, anywhere), and
 * splices of two seeds. Each case applies one to four of them and records what it did, so a crash
 * report says how its input was made.
 */
import { FRAGMENTS } from './fragments.js';
import type { Rng } from './rng.js';

/** A generated input and the operations that made it, for the report. */
export interface Mutant {
  bytes: Buffer;
  ops: string[];
}

const INTERESTING = Buffer.from('\0\x1b\xff\x80\n\r\t :[]{}"\'&*!|>-#%@`\\=,~<'.split('').map((c) => c.charCodeAt(0)));

type Op = (input: Buffer, rng: Rng, others: readonly Buffer[]) => [Buffer, string];

/** Where to cut: a random byte, or the start of a random line (structure lives at line starts). */
function position(input: Buffer, rng: Rng): number {
  const at = rng.int(input.length + 1);
  if (rng.chance(0.5)) return at;
  const nl = input.lastIndexOf(0x0a, at - 1);
  return nl < 0 ? 0 : nl + 1;
}

const flip: Op = (input, rng) => {
  if (input.length === 0) return [input, 'flip(empty)'];
  const out = Buffer.from(input);
  const at = rng.int(out.length);
  out[at] = (out[at] as number) ^ (1 << rng.int(8));
  return [out, `flip@${at}`];
};

const setByte: Op = (input, rng) => {
  const out = Buffer.from(input);
  const at = rng.int(out.length + 1);
  const byte = rng.pick([...INTERESTING]);
  return [Buffer.concat([out.subarray(0, at), Buffer.from([byte]), out.subarray(at)]), `byte(${byte})@${at}`];
};

const remove: Op = (input, rng) => {
  const at = rng.int(input.length + 1);
  const len = 1 + rng.int(64);
  return [Buffer.concat([input.subarray(0, at), input.subarray(at + len)]), `delete(${len})@${at}`];
};

const repeatChunk: Op = (input, rng) => {
  const at = position(input, rng);
  const chunk = input.subarray(at, at + 1 + rng.int(64));
  const times = rng.size([2, 10, 100, 1000]);
  const out = Buffer.concat([input.subarray(0, at), ...Array<Buffer>(times).fill(chunk), input.subarray(at)]);
  return [out, `repeat(${chunk.length}x${times})@${at}`];
};

const repeatLine: Op = (input, rng) => {
  const lines = input.toString('latin1').split('\n');
  const i = rng.int(lines.length);
  const times = rng.size([2, 100, 20_000]);
  lines.splice(i, 0, ...Array<string>(times).fill(lines[i] ?? ''));
  return [Buffer.from(lines.join('\n'), 'latin1'), `repeat-line(${i}x${times})`];
};

const reindent: Op = (input, rng) => {
  const lines = input.toString('latin1').split('\n');
  const i = rng.int(lines.length);
  lines[i] = ' '.repeat(rng.size([0, 1, 3, 40])) + (lines[i] ?? '').trimStart();
  return [Buffer.from(lines.join('\n'), 'latin1'), `reindent(${i})`];
};

const insertFragment: Op = (input, rng) => {
  const fragment = rng.pick(FRAGMENTS);
  const made = fragment.make(rng);
  const bytes = typeof made === 'string' ? Buffer.from(made) : made;
  let at = position(input, rng);
  // After a `key: ` the fragment becomes a value, which is where most loaders look hardest.
  if (rng.chance(0.3)) {
    const colon = input.indexOf(': ', at);
    if (colon >= 0) at = colon + 2;
  }
  return [Buffer.concat([input.subarray(0, at), bytes, input.subarray(at)]), `insert(${fragment.name})@${at}`];
};

const splice: Op = (input, rng, others) => {
  const other = others.length ? rng.pick(others) : input;
  const a = position(input, rng);
  const b = position(other, rng);
  return [Buffer.concat([input.subarray(0, a), other.subarray(b)]), `splice@${a}+${b}`];
};

const OPS: readonly [Op, number][] = [
  [flip, 3],
  [setByte, 3],
  [remove, 2],
  [repeatChunk, 1],
  [repeatLine, 1],
  [reindent, 1],
  [insertFragment, 4],
  [splice, 1],
];
const WEIGHTED = OPS.flatMap(([op, w]) => Array<Op>(w).fill(op));

/** Past this a mutation is dropped: loaders refuse anything over 16 MiB anyway, and memory is shared. */
const MAX_CASE_BYTES = 32 * 1024 * 1024;

/** One to four mutations of `seed`; `others` are the loader's other seeds, for splices. */
export function mutate(seed: Buffer, rng: Rng, others: readonly Buffer[]): Mutant {
  let bytes = seed;
  const ops: string[] = [];
  const count = 1 + Math.min(rng.int(4), rng.int(4));
  for (let i = 0; i < count; i++) {
    const [out, what] = rng.pick(WEIGHTED)(bytes, rng, others);
    if (out.length > MAX_CASE_BYTES) continue;
    bytes = out;
    ops.push(what);
  }
  return { bytes, ops };
}

/** A hostile fragment put into the hole (`FRAG`) of a loader's minimal valid input. */
export function wrapFragment(template: string, rng: Rng): Mutant {
  const fragment = rng.pick(FRAGMENTS);
  const made = fragment.make(rng);
  const [head, tail] = template.split('FRAG') as [string, string?];
  const bytes = Buffer.concat([
    Buffer.from(head),
    typeof made === 'string' ? Buffer.from(made) : made,
    Buffer.from(tail ?? ''),
  ]);
  return { bytes, ops: [`wrap(${fragment.name})`] };
}
