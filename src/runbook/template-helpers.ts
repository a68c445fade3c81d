/**
 * Helpers available in every template: comparisons and boolean logic for `when` / `failed_when`,
 * plus `raw` (the explicit, unquoted form inside shell fields).
 * Every helper receives Handlebars' `options` object last; `args()` drops it.
 */
import type { HelperDelegate } from 'handlebars';
import { BoundedRegExpError, boundedRegExp } from '../core/bounded-regex.js';

/** The falsy words of conditions: '', false, 0, no, null (case-insensitive, trimmed). */
const FALSY = new Set(['', 'false', '0', 'no', 'null']);

/**
 * Truthiness of a condition value. Strings are trimmed and compared case-insensitively to
 * '' / 'false' / '0' / 'no' / 'null'; arrays are truthy when non-empty; objects are truthy.
 */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'string') return !FALSY.has(value.trim().toLowerCase());
  return true;
}

const args = (a: unknown[]) => a.slice(0, -1);

/** Loose equality that treats `1` and `"1"` as equal (inventory vars are often strings). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((typeof a === 'number' || typeof a === 'string') && (typeof b === 'number' || typeof b === 'string')) {
    return String(a) === String(b);
  }
  return false;
}

function num(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  return n;
}

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];

/** Compiled `match` patterns: a template renders once per host, the pattern is the runbook's. */
const matchers = new Map<string, RegExp>();

/** The `match` pattern, bounded (core/bounded-regex.ts): a host's output must not hang the run. */
function matcher(source: string): RegExp {
  let re = matchers.get(source);
  if (re) return re;
  try {
    re = boundedRegExp(source);
  } catch (e) {
    if (!(e instanceof BoundedRegExpError)) throw e;
    throw new Error(`match: the regular expression "${source}": ${e.message}`);
  }
  if (matchers.size >= 1000) matchers.clear();
  matchers.set(source, re);
  return re;
}

/** What Handlebars passes a helper last: `kind=…` arguments and the template's root context. */
interface HelperOptions {
  hash?: Record<string, unknown>;
  data?: { root?: unknown };
}

/** The findings of a registered result (a plan-time stand-in has none, and marks the condition run-time). */
function findingsOf(value: unknown): { kind: string; severity: string }[] {
  if (value === null || typeof value !== 'object' || !('findings' in value)) return [];
  const list = (value as { findings: unknown }).findings;
  return Array.isArray(list) ? (list as { kind: string; severity: string }[]) : [];
}

/**
 * `has_findings "high"`: a result registered on this host so far has a finding at least this severe;
 * `has_findings triage "high"`: the result registered as `triage` has; `kind="persistence"` keeps
 * findings of that kind or its sub-kinds (`persistence.cron`), `kind` may list several (a list, or
 * words separated by spaces or commas: `kind=params.signs`). The severity may be a template value
 * (`has_findings triage params.contain_at`); an unknown one is an error, never a silent false.
 */
function hasFindings(...a: unknown[]): boolean {
  const options = a[a.length - 1] as HelperOptions;
  const given = args(a);
  if (given.length < 1 || given.length > 2)
    throw new Error('has_findings takes a severity, or a registered result and a severity: has_findings triage "high"');
  const severity = String(given[given.length - 1])
    .trim()
    .toLowerCase();
  const bar = SEVERITIES.indexOf(severity);
  if (bar < 0)
    throw new Error(
      `has_findings: unknown severity "${String(given[given.length - 1])}" (one of ${SEVERITIES.join(', ')})`,
    );
  if (given.length === 2 && (given[0] === null || typeof given[0] !== 'object'))
    throw new Error(
      'has_findings: the first of two arguments must be a registered result (has_findings triage "high")',
    );
  const kinds = kindsOf(options.hash?.kind);
  const results = given.length === 2 ? [given[0]] : Object.values((options.data?.root ?? {}) as object);
  return results.some((r) =>
    findingsOf(r).some(
      (f) =>
        SEVERITIES.indexOf(f.severity) >= bar &&
        (kinds === undefined || kinds.some((k) => f.kind === k || f.kind.startsWith(`${k}.`))),
    ),
  );
}

/** `kind=`: undefined (any kind), one kind, a list, or kinds separated by spaces or commas. */
function kindsOf(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value.map(String) : String(value).split(/[\s,]+/)).filter(Boolean);
  if (!list.length) throw new Error('has_findings: kind= names no finding kind');
  return list;
}

/** Helpers registered on every template environment (besides Handlebars' own `if`, `each`, `with`...). */
export function conditionHelpers(makeRaw: (v: unknown) => unknown): Record<string, HelperDelegate> {
  return {
    eq: (...a: unknown[]) => same(a[0], a[1]),
    ne: (...a: unknown[]) => !same(a[0], a[1]),
    and: (...a: unknown[]) => args(a).every(isTruthy),
    or: (...a: unknown[]) => args(a).some(isTruthy),
    not: (...a: unknown[]) => !isTruthy(a[0]),
    gt: (...a: unknown[]) => num(a[0]) > num(a[1]),
    lt: (...a: unknown[]) => num(a[0]) < num(a[1]),
    contains: (...a: unknown[]) => {
      const [hay, needle] = a;
      if (Array.isArray(hay)) return hay.some((x) => same(x, needle));
      if (typeof hay === 'string') return hay.includes(String(needle));
      if (hay && typeof hay === 'object') return Object.prototype.hasOwnProperty.call(hay, String(needle));
      return false;
    },
    /** `{{match value "regex"}}`: JavaScript regular expression test, linear in the value (hosts' output is hostile). */
    match: (...a: unknown[]) => matcher(String(a[1])).test(String(a[0] ?? '')),
    has_findings: hasFindings,
    /** `{{raw x}}`: insert `x` without shell quoting (inside shell fields; a no-op elsewhere). */
    raw: (...a: unknown[]) => makeRaw(a.length > 1 ? a[0] : ''),
  };
}
