/**
 * Turn zod issues into the user's list of problems. zod reports a failed union as every branch's
 * errors; we pick the branch the user meant: for a step, the branch of the step type key it has
 * (unknown or several type keys become their own issues, with "did you mean"); for other unions,
 * the branch whose type matches the value.
 */
import type { z } from 'zod';
import { MAX_LISTED_ISSUES } from '../core/limits.js';
import { stepCommonShape } from './schema.js';
import { STEP_TYPES } from '../steps/index.js';
import { didYouMean } from './suggest.js';
import type { PathKey } from './positions.js';

/** An issue before it gets a file position. `atKey`: point at the key, not its value. */
export interface RawIssue {
  code: string;
  path: PathKey[];
  message: string;
  atKey?: boolean;
}

type Issue = z.core.$ZodIssue;

const TYPE_NAMES: string[] = STEP_TYPES.map((t) => t.type);
const COMMON_KEYS = Object.keys(stepCommonShape);

function valueAt(root: unknown, path: readonly PathKey[]): unknown {
  let v: unknown = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k as string];
  }
  return v;
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function isStepUnion(errors: Issue[][], value: unknown): boolean {
  return errors.length === STEP_TYPES.length && value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stepIssues(
  errors: Issue[][],
  value: Record<string, unknown>,
  path: PathKey[],
  root: unknown,
  vocabulary: Set<string>,
): RawIssue[] {
  const keys = Object.keys(value);
  const types = keys.filter((k) => TYPE_NAMES.includes(k));
  if (types.length === 1) return flatten(errors[TYPE_NAMES.indexOf(types[0] as string)] ?? [], path, root, vocabulary);
  if (types.length > 1) {
    return [
      { code: 'multiple_step_types', path, message: `a step has exactly one step type, found ${types.join(', ')}` },
    ];
  }
  const unknown = keys.filter((k) => !COMMON_KEYS.includes(k));
  if (!unknown.length) {
    return [{ code: 'missing_step_type', path, message: `step has no step type (one of: ${TYPE_NAMES.join(', ')})` }];
  }
  return unknown.map((k) => ({
    code: 'unknown_step',
    path: [...path, k],
    atKey: true,
    message: `unknown step type "${k}"${didYouMean(k, [...TYPE_NAMES, ...COMMON_KEYS])}; known types: ${TYPE_NAMES.join(', ')}`,
  }));
}

export { MAX_LISTED_ISSUES };

/** Flatten zod issues (relative to `prefix`) into RawIssues. `root` is the validated input. */
export function flatten(
  issues: readonly Issue[],
  prefix: PathKey[],
  root: unknown,
  vocabulary: Set<string>,
): RawIssue[] {
  const out: RawIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path as PathKey[])];
    const value = valueAt(root, path);
    switch (issue.code) {
      case 'invalid_union': {
        const errors = issue.errors;
        if (isStepUnion(errors, value)) {
          out.push(...stepIssues(errors, value as Record<string, unknown>, path, root, vocabulary));
          break;
        }
        // The branch the value's type fits: no type error at the branch root.
        const fits = errors.find((b) => !b.some((e) => e.code === 'invalid_type' && e.path.length === 0));
        if (fits) {
          out.push(...flatten(fits, path, root, vocabulary));
        } else {
          const expected = [
            ...new Set(
              errors
                .flat()
                .filter((e) => e.code === 'invalid_type' && e.path.length === 0)
                .map((e) => (e as { expected: string }).expected),
            ),
          ];
          out.push({
            code: 'invalid_type',
            path,
            message: `expected ${expected.join(' or ')}, got ${describe(value)}`,
          });
        }
        break;
      }
      case 'unrecognized_keys':
        issue.keys.forEach((k, i) => {
          // Suggestions cost a comparison with every known word: only for keys that will be listed.
          const hint = i < MAX_LISTED_ISSUES ? didYouMean(k, vocabulary) : '';
          out.push({ code: 'unknown_key', path: [...path, k], atKey: true, message: `unknown key "${k}"${hint}` });
        });
        break;
      case 'invalid_type':
        if (value === undefined) {
          const key = path[path.length - 1];
          out.push({ code: 'missing_key', path, message: `missing required key "${String(key)}"` });
        } else {
          out.push({ code: 'invalid_type', path, message: `expected ${issue.expected}, got ${describe(value)}` });
        }
        break;
      case 'invalid_key':
        // A record key failed its own schema: report the key's own messages, pointing at the key.
        for (const inner of flatten(issue.issues, path, root, vocabulary))
          out.push({ ...inner, code: 'invalid_key', atKey: true });
        break;
      default:
        out.push({ code: issue.code ?? 'invalid', path, message: issue.message });
    }
  }
  return out;
}

/** Every property name in a JSON Schema: the vocabulary for "did you mean" on unknown keys. */
export function schemaVocabulary(schema: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) schema.forEach((s) => schemaVocabulary(s, into));
  else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) {
      if (k === 'properties' && v && typeof v === 'object') Object.keys(v).forEach((p) => into.add(p));
      schemaVocabulary(v, into);
    }
  }
  return into;
}
