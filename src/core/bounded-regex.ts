/**
 * Regular expressions that cannot hang the controller on hostile text. A backtracking engine takes
 * exponential time on `(a+)+$` against a long run of `a`s, and polynomial time on `a*a*a*a*$`; the
 * text they run on (host names, a host's output) may be an attacker's. So a pattern runs on V8's
 * non-backtracking engine (the `l` flag, behind a V8 option switched on here), linear in the text.
 * What that engine cannot run (backreferences, lookaround, a large counted repetition) is refused. On
 * a runtime without the engine, the backtracking one is used and its classic blow-up, a repeated group
 * that itself repeats or alternates, is refused instead.
 */
import { setFlagsFromString } from 'node:v8';

/** Why a pattern was refused: it does not compile, needs backtracking, or nests repetition. */
export class BoundedRegExpError extends Error {
  constructor(
    readonly reason: 'invalid' | 'unsupported' | 'nested',
    /** The nested group, for `nested`. */
    readonly group?: string,
  ) {
    super(
      reason === 'invalid'
        ? 'not a valid regular expression'
        : reason === 'unsupported'
          ? 'backreferences, lookaround and large counted repetitions ({1000}) are not supported, since matching them can take exponential time'
          : `the group ${group} repeats something that itself repeats or alternates, which can take exponential time to match`,
    );
  }
}

let linearEngine: boolean | undefined;

/** Whether `new RegExp(…, 'l')` works here (switching the engine on costs nothing until used). */
function hasLinearEngine(): boolean {
  if (linearEngine === undefined) {
    try {
      setFlagsFromString('--enable-experimental-regexp-engine');
      // eslint-disable-next-line no-invalid-regexp -- the `l` flag exists once the V8 option is on
      new RegExp('a', 'l');
      linearEngine = true;
    } catch {
      linearEngine = false;
    }
  }
  return linearEngine;
}

/** `source` compiled with `flags` so that matching is bounded; throws BoundedRegExpError. */
export function boundedRegExp(source: string, flags = ''): RegExp {
  try {
    new RegExp(source, flags);
  } catch {
    throw new BoundedRegExpError('invalid');
  }
  if (hasLinearEngine()) {
    try {
      return new RegExp(source, `l${flags}`);
    } catch {
      throw new BoundedRegExpError('unsupported');
    }
  }
  const nested = nestedRepetition(source);
  if (nested !== undefined) throw new BoundedRegExpError('nested', nested);
  return new RegExp(source, flags);
}

/**
 * The first group that is repeated (`*`, `+`, `{2,}`, `{1,5}`…) and holds a quantifier or `|`, as
 * written; undefined when there is none. Character classes and escapes are skipped.
 */
export function nestedRepetition(source: string): string | undefined {
  /** Open groups: where each starts, and whether it holds a quantifier or `|` so far. */
  const open: { start: number; risky: boolean }[] = [];
  const markRisky = () => {
    for (const g of open) g.risky = true;
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (c === '[') i = classEnd(source, i);
    else if (c === '(') {
      open.push({ start: i, risky: false });
      i += groupPrefix(source, i + 1);
    } else if ('|*+?'.includes(c as string) || (c === '{' && counted(source, i) !== undefined)) markRisky();
    else if (c === ')') {
      const g = open.pop();
      if (g?.risky && repeats(source, i + 1)) return source.slice(g.start, i + 1);
    }
  }
  return undefined;
}

/** `{n}`, `{n,}`, `{n,m}` at `i`: its upper bound (Infinity when open), else undefined. */
function counted(source: string, i: number): number | undefined {
  const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 24));
  if (!m) return undefined;
  if (m[2] === undefined) return Number(m[1]);
  return m[3] === '' ? Infinity : Number(m[3]);
}

/** Whether a quantifier at `i` lets what precedes it match more than once. */
function repeats(source: string, i: number): boolean {
  const c = source[i];
  return c === '*' || c === '+' || (counted(source, i) ?? 0) >= 2;
}

/** Length of a group's `?:`, `?=`, `?!`, `?<=`, `?<!` or `?<name>` prefix at `i`, else 0. */
function groupPrefix(source: string, i: number): number {
  if (source[i] !== '?') return 0;
  if (source[i + 1] !== '<' || source[i + 2] === '=' || source[i + 2] === '!') return source[i + 1] === '<' ? 3 : 2;
  const close = source.indexOf('>', i);
  return close < 0 ? 0 : close - i + 1;
}

/** Index of the `]` that closes the class opening at `i` (a leading `]` or `^]` is a member). */
function classEnd(source: string, i: number): number {
  let j = i + 1;
  if (source[j] === '^') j++;
  if (source[j] === ']') j++;
  for (; j < source.length; j++) {
    if (source[j] === '\\') j++;
    else if (source[j] === ']') return j;
  }
  return source.length;
}
