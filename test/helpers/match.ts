/**
 * Partial matching of a value against an expectation written in JSON (fact fixture cases):
 *
 * - an object matches when each key it names matches (other keys of the value are free);
 * - an array matches an array of the same length, element by element;
 * - `{"$length": n, "$contains": [e…]}`: an array of length n (optional) with, for each `e`, some
 *   element matching it;
 * - `{"$exact": v}`: deep equality; `"$undefined"`: the key is absent;
 * - anything else: strict equality.
 *
 * Returns the first mismatch as `path: message`, or undefined.
 */
import { isDeepStrictEqual } from 'node:util';

type Json = unknown;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v)?.slice(0, 200) ?? String(v);

export function mismatch(actual: unknown, expected: Json, path = '$'): string | undefined {
  if (expected === '$undefined')
    return actual === undefined ? undefined : `${path}: expected no value, got ${show(actual)}`;
  if (isObject(expected) && '$exact' in expected)
    return isDeepStrictEqual(actual, expected.$exact)
      ? undefined
      : `${path}: expected exactly ${show(expected.$exact)}, got ${show(actual)}`;
  if (isObject(expected) && ('$length' in expected || '$contains' in expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${show(actual)}`;
    if (expected.$length !== undefined && actual.length !== expected.$length)
      return `${path}: expected ${String(expected.$length)} elements, got ${actual.length}`;
    for (const [i, e] of ((expected.$contains as Json[] | undefined) ?? []).entries())
      if (!actual.some((a) => mismatch(a, e) === undefined))
        return `${path}.$contains[${i}]: no element matches ${show(e)}`;
    return undefined;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${show(actual)}`;
    if (actual.length !== expected.length) return `${path}: expected ${expected.length} elements, got ${actual.length}`;
    for (const [i, e] of expected.entries()) {
      const m = mismatch(actual[i], e, `${path}[${i}]`);
      if (m) return m;
    }
    return undefined;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return `${path}: expected an object, got ${show(actual)}`;
    for (const [k, e] of Object.entries(expected)) {
      const m = mismatch(actual[k], e, `${path}.${k}`);
      if (m) return m;
    }
    return undefined;
  }
  return actual === expected ? undefined : `${path}: expected ${show(expected)}, got ${show(actual)}`;
}
