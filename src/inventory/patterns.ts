/**
 * Host patterns with Ansible's semantics (ansible/inventory/manager.py, core 2.14): `all`, `*`,
 * globs, `a:b`, `a,b`, `a:&b`, `a:!b`, `~regex`, subscripts `g[0]`, `g[1:3]`, `g[-1]`, and
 * `--limit` (also `@file`). The order of the result is the order Ansible would run the hosts in:
 * regular patterns first (in order), then intersections, then exclusions; duplicates dropped.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Host } from '../core/host.js';
import { InputError } from '../core/errors.js';
import { groupHosts, type Inventory } from './model.js';
import { parseAddress } from './ranges.js';

const WITH_SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/;

/** Splits `a,b` / `a:b:&c` into single patterns like Ansible's split_host_pattern. */
export function splitHostPattern(pattern: string): string[] {
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else if (parseAddress(pattern)) parts = [pattern];
  // Colons separate patterns unless inside a [..] expression (a range or subscript).
  else parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
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

/** Python's fnmatch.translate: `*`, `?`, `[seq]`, `[!seq]`; case-sensitive, whole-string. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) re += '\\[';
      else {
        let stuff = glob.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (stuff[0] === '!') stuff = '^' + stuff.slice(1);
        else if (stuff[0] === '^') stuff = '\\' + stuff;
        re += `[${stuff.replace(/\[/g, '\\[')}]`;
        i = j;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}

function compile(pattern: string): RegExp {
  try {
    // `~regex` is Python's re.match: anchored at the start only.
    return pattern[0] === '~' ? new RegExp(pattern.slice(1), 'y') : globToRegExp(pattern);
  } catch {
    throw new InputError(`Invalid host list pattern: ${pattern}`);
  }
}

function matches(re: RegExp, s: string): boolean {
  re.lastIndex = 0;
  return re.test(s);
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
    let hosts: Host[] = [];
    for (const p of orderPatterns(patterns)) {
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
        hosts.push(...that.filter((h) => !existing.has(h.name)));
      }
    }
    return hosts;
  }

  private matchOne(pattern: string): Host[] {
    const p = pattern[0] === '&' || pattern[0] === '!' ? pattern.slice(1) : pattern;
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
    const re = compile(pattern);
    const results: Host[] = [];
    const groups = [...this.inv.groups.keys()].filter((g) => matches(re, g));
    for (const g of groups) {
      for (const hn of groupHosts(this.inv.groups, g)) {
        const h = this.byName.get(hn);
        if (h) results.push(h);
      }
    }
    if (groups.length === 0 || pattern[0] === '~' || /[.?*[]/.test(pattern)) {
      for (const h of this.inv.hosts) if (matches(re, h.name)) results.push(h);
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
