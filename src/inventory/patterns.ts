/**
 * Host patterns with Ansible's semantics (ansible/inventory/manager.py, core 2.14): `all`, `*`,
 * globs, `a:b`, `a,b`, `a:&b`, `a:!b`, `~regex`, subscripts `g[0]`, `g[1:3]`, `g[-1]`, and
 * `--limit` (also `@file`). The order of the result is the order Ansible would run the hosts in:
 * regular patterns first (in order), then intersections, then exclusions; duplicates dropped.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Host } from '../core/host.js';
import { InputError } from '../core/errors.js';
import { compileGlob, globMatch } from '../core/glob.js';
import { LIMITS } from '../core/limits.js';
import { hostRegExp } from './host-regex.js';
import { groupHosts, type Inventory } from './model.js';
import { parseAddress } from './ranges.js';

/** Longer patterns are refused: compiling a multi-megabyte glob costs seconds, and no name is that long. */
const MAX_PATTERN_LENGTH = 4096;

const WITH_SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/;

/** Splits `a,b` / `a:b:&c` into single patterns like Ansible's split_host_pattern. */
export function splitHostPattern(pattern: string): string[] {
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else if (parseAddress(pattern)) parts = [pattern];
  else parts = colonParts(pattern);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/**
 * Colons and spaces separate patterns unless inside a [..] expression (a range or subscript); a `[`
 * without its `]`, or a lone `]`, separates too. Ansible does this with a regex; a scan in one pass
 * does not overflow V8's regex backtracking stack on a multi-megabyte `--limit`.
 */
function colonParts(pattern: string): string[] {
  const parts: string[] = [];
  let start = -1; // where the current part began, or -1 between parts
  const lastClose = pattern.lastIndexOf(']'); // no search past it: `[[[[…` stays linear
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    const close = c === '[' && i < lastClose ? pattern.indexOf(']', i + 1) : -1;
    if (c === ':' || c === ']' || /\s/.test(c) || (c === '[' && close < 0)) {
      if (start >= 0) parts.push(pattern.slice(start, i));
      start = -1;
      continue;
    }
    if (start < 0) start = i;
    if (close >= 0) i = close; // a [..] expression is part of the pattern, colons and all
  }
  if (start >= 0) parts.push(pattern.slice(start));
  return parts;
}

/** Regular patterns, then `&` intersections, then `!` exclusions; no regular pattern means `all`. */
export function orderPatterns(patterns: string[]): string[] {
  const regular: string[] = [];
  const and: string[] = [];
  const not: string[] = [];
  for (const p of patterns) {
    if (!p) continue;
    if (p[0] === '!') not.push(p);
    else if (p[0] === '&') and.push(p);
    else regular.push(p);
  }
  return [...(regular.length ? regular : ['all']), ...and, ...not];
}

/** A compiled pattern: does this group or host name match? */
type NameTest = (name: string) => boolean;

function compile(pattern: string): NameTest {
  const invalid = () => new InputError(`Invalid host list pattern: ${pattern}`);
  if (pattern[0] !== '~') {
    // Python's fnmatch (`*`, `?`, `[seq]`, `[!seq]`), case-sensitive and whole-string.
    let tokens;
    try {
      tokens = compileGlob(pattern, { classes: true });
    } catch {
      throw invalid();
    }
    return (name) => globMatch(tokens, name);
  }
  const re = hostRegExp(pattern);
  return (name) => {
    re.lastIndex = 0;
    try {
      return re.test(name);
    } catch {
      // V8 compiles a regex on first use: "too large" and stack overflows surface only here.
      throw invalid();
    }
  };
}

/** Pattern evaluation against one inventory; `warn` receives Ansible's warnings. */
class Matcher {
  private readonly byName: Map<string, Host>;
  constructor(
    private readonly inv: Inventory,
    private readonly warn: (m: string) => void,
  ) {
    this.byName = new Map(inv.hosts.map((h) => [h.name, h]));
  }

  evaluate(patterns: string[]): Host[] {
    // A repeated pattern adds nothing (union, intersection and exclusion are idempotent): try it once.
    const ordered = [...new Set(orderPatterns(patterns))];
    const searching = ordered.filter((p) => !this.isName(p.replace(/^[&!]/, '')));
    const long = searching.find((p) => p.length > MAX_PATTERN_LENGTH);
    if (long !== undefined)
      throw new InputError(
        `a host pattern of ${long.length} characters (${long.slice(0, 40)}…): no host or group name is that long`,
      );
    if (searching.length > LIMITS.patterns)
      throw new InputError(
        `${searching.length} host patterns that are not host names, more than the ${LIMITS.patterns} one selection may have (FIREBREAK_MAX_PATTERNS raises the limit)`,
      );
    let hosts: Host[] = [];
    for (const p of ordered) {
      const exact = this.byName.get(p);
      if (exact) {
        hosts.push(exact);
        continue;
      }
      const that = this.matchOne(p);
      if (p[0] === '!') {
        const s = new Set(that);
        hosts = hosts.filter((h) => !s.has(h));
      } else if (p[0] === '&') {
        const s = new Set(that);
        hosts = hosts.filter((h) => s.has(h));
      } else {
        const existing = new Set(hosts.map((h) => h.name));
        for (const h of that) if (!existing.has(h.name)) hosts.push(h); // no push(...): 100,000 hosts overflow the stack
      }
    }
    return hosts;
  }

  /** A plain host or group name, found without trying a glob against every name. */
  private isName(p: string): boolean {
    return !/[*?[~]/.test(p) && (this.byName.has(p) || this.inv.groups.has(p));
  }

  private matchOne(pattern: string): Host[] {
    const p = pattern[0] === '&' || pattern[0] === '!' ? pattern.slice(1) : pattern;
    // `!web03` for a host that is no group's name: that host, without a pass over every name.
    const host = this.byName.get(p);
    if (host && this.isName(p) && !this.inv.groups.has(p)) return [host];
    const [expr, sub] = splitSubscript(p);
    const hosts = this.enumerate(expr);
    if (!sub || hosts.length === 0) return hosts;
    const [start, end] = sub;
    if (end) {
      const e = end === -1 ? hosts.length - 1 : end;
      return pySlice(hosts, start, e + 1);
    }
    const i = start < 0 ? hosts.length + start : start;
    const h = hosts[i];
    if (i < 0 || !h) throw new InputError(`No hosts matched the subscripted pattern '${p}'`);
    return [h];
  }

  private enumerate(pattern: string): Host[] {
    const test = compile(pattern);
    const results: Host[] = [];
    const groups = [...this.inv.groups.keys()].filter(test);
    for (const g of groups) {
      for (const hn of groupHosts(this.inv.groups, g)) {
        const h = this.byName.get(hn);
        if (h) results.push(h);
      }
    }
    if (groups.length === 0 || pattern[0] === '~' || /[.?*[]/.test(pattern)) {
      for (const h of this.inv.hosts) if (test(h.name)) results.push(h);
    }
    if (results.length === 0 && groups.length === 0 && pattern !== 'all') {
      this.warn(`Could not match supplied host pattern, ignoring: ${pattern}`);
    }
    return results;
  }
}

/** Python slice `a[start:stop]` with negative indices. */
function pySlice<T>(a: T[], start: number, stop: number): T[] {
  const norm = (i: number): number => (i < 0 ? Math.max(0, a.length + i) : Math.min(i, a.length));
  return a.slice(norm(start), norm(stop));
}

function splitSubscript(pattern: string): [string, [number, number | undefined] | undefined] {
  if (pattern[0] === '~') return [pattern, undefined];
  const m = WITH_SUBSCRIPT.exec(pattern);
  if (!m) return [pattern, undefined];
  if (m[2] !== undefined) return [m[1] as string, [Number(m[2]), undefined]];
  return [m[1] as string, [Number(m[3]), m[5] ? Number(m[5]) : -1]];
}

/** Expands `--limit`: comma/colon separated patterns; `@file` reads one pattern per line. */
export function limitPatterns(limit: string): string[] {
  const out: string[] = [];
  for (const x of splitHostPattern(limit)) {
    if (x[0] !== '@') {
      out.push(x);
      continue;
    }
    const file = x.slice(1);
    let isFile: boolean;
    try {
      isFile = statSync(file).isFile();
    } catch {
      throw new InputError(`Unable to find limit file ${file}`);
    }
    if (!isFile) throw new InputError(`Limit starting with "@" must be a file, not a directory: ${file}`);
    out.push(
      ...readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim()),
    );
  }
  return out;
}

/**
 * Hosts selected by `pattern`, then restricted by `limit` (like `ansible PATTERN --limit LIMIT`),
 * in Ansible's order. An unknown name matches nothing and is reported through `warn`.
 */
export function selectHosts(
  inv: Inventory,
  pattern: string,
  limit?: string,
  warn: (message: string) => void = () => {},
): Host[] {
  const m = new Matcher(inv, warn);
  let hosts = m.evaluate(splitHostPattern(pattern));
  if (limit !== undefined) {
    const allowed = new Set(m.evaluate(limitPatterns(limit)));
    hosts = hosts.filter((h) => allowed.has(h));
  }
  const seen = new Set<string>();
  return hosts.filter((h) => !seen.has(h.name) && (seen.add(h.name), true));
}
