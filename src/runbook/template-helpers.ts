/**
 * Helpers available in every template: comparisons and boolean logic for `when` / `failed_when`,
 * plus `raw` (the explicit, unquoted form inside shell fields).
 * Every helper receives Handlebars' `options` object last; `args()` drops it.
 */
import type { HelperDelegate } from 'handlebars';

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
    /** `{{match value "regex"}}`: JavaScript regular expression test. */
    match: (...a: unknown[]) => new RegExp(String(a[1])).test(String(a[0] ?? '')),
    /** `{{raw x}}`: insert `x` without shell quoting (inside shell fields; a no-op elsewhere). */
    raw: (...a: unknown[]) => makeRaw(a.length > 1 ? a[0] : ''),
  };
}
