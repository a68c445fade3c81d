/**
 * Shell-style wildcard matching (`*`, `?`, `[seq]`, `[!seq]`) without regular expressions: a glob
 * turned into a regex backtracks exponentially on `*a*a*a*…b` or fifty `*`s, and a 100,000-character
 * one is "too large" for V8. This matcher is one pass with a single resume point per `*`, at most
 * (glob length × name length) steps, for host patterns and known_hosts patterns alike.
 */

/** A one-character class, `[a-z0-9]` or `[!._]`. */
interface CharClass {
  negate: boolean;
  /** Inclusive code-unit ranges; a single character is a range of one. */
  ranges: [number, number][];
}

/** A compiled glob: `*`, `?`, a literal code unit, or a class. */
export type GlobToken = '*' | '?' | number | CharClass;

/** Options of `compileGlob`. */
export interface GlobOptions {
  /** Read `[...]` as a class (Python's fnmatch); otherwise `[` is literal (OpenSSH patterns). */
  classes?: boolean;
  /** Compare letters without case (OpenSSH host names). */
  ignoreCase?: boolean;
}

/** Thrown for a class whose range runs backwards (`[z-a]`), which Python and regexes refuse too. */
export class GlobError extends Error {}

function parseClass(body: string): CharClass {
  const negate = body[0] === '!';
  const text = negate ? body.slice(1) : body;
  const ranges: [number, number][] = [];
  for (let i = 0; i < text.length; i++) {
    const lo = text.charCodeAt(i);
    if (text[i + 1] === '-' && i + 2 < text.length) {
      const hi = text.charCodeAt(i + 2);
      if (hi < lo) throw new GlobError(`range out of order in [${body}]`);
      ranges.push([lo, hi]);
      i += 2;
    } else ranges.push([lo, lo]);
  }
  return { negate, ranges };
}

/** Glob text → tokens; consecutive `*` collapse into one. */
export function compileGlob(glob: string, options: GlobOptions = {}): GlobToken[] {
  const out: GlobToken[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (out.at(-1) !== '*') out.push('*');
    } else if (c === '?') out.push('?');
    else if (c === '[' && options.classes) {
      // As fnmatch: `]` right after `[` or `[!` is part of the class; no closing `]` makes `[` literal.
      let j = i + 1;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) out.push(c.charCodeAt(0));
      else {
        out.push(parseClass(glob.slice(i + 1, j)));
        i = j;
      }
    } else out.push(options.ignoreCase ? c.toLowerCase().charCodeAt(0) : c.charCodeAt(0));
  }
  return out;
}

function one(token: Exclude<GlobToken, '*'>, code: number): boolean {
  if (token === '?') return true;
  if (typeof token === 'number') return token === code;
  const inside = token.ranges.some(([lo, hi]) => code >= lo && code <= hi);
  return inside !== token.negate;
}

/** Does the whole `name` match the compiled glob? */
export function globMatch(tokens: readonly GlobToken[], name: string, ignoreCase = false): boolean {
  const text = ignoreCase ? name.toLowerCase() : name;
  let t = 0;
  let n = 0;
  let star = -1; // token index just after the last `*`
  let resume = 0; // where in the name that `*` would take up the next character
  while (n < text.length) {
    const token = tokens[t];
    if (token === '*') {
      star = ++t;
      resume = n;
    } else if (token !== undefined && one(token, text.charCodeAt(n))) {
      t++;
      n++;
    } else if (star >= 0) {
      t = star;
      n = ++resume;
    } else return false;
  }
  while (tokens[t] === '*') t++;
  return t === tokens.length;
}
