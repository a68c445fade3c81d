/**
 * Leaves of plain data (a step's params) addressed by path, and the zod issues about them: shared by the
 * load-time deferral of templates (deferred.ts) and the planner's reading of rendered text as numbers.
 */
import type { core } from 'zod';

export function getAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    root,
  );
}

export function setAt(root: unknown, path: readonly PropertyKey[], value: unknown): void {
  const parent = getAt(root, path.slice(0, -1));
  if (parent !== null && typeof parent === 'object')
    (parent as Record<PropertyKey, unknown>)[path[path.length - 1] as PropertyKey] = value;
}

export const pathKey = (path: readonly PropertyKey[]): string => path.map(String).join('\u0000');

/** An issue with its path from the validated root. */
export interface LeafIssue {
  path: PropertyKey[];
  issue: core.$ZodIssue;
}

/**
 * Every issue about a value, with its full path, including those inside each branch of a failed union
 * (a step type like `collect` or a health check is a union: its field issues are nested there).
 * A record key's issue (`invalid_key`) is about the key, not the value at its path: left out.
 */
export function leafIssues(issues: readonly core.$ZodIssue[], prefix: readonly PropertyKey[] = []): LeafIssue[] {
  const out: LeafIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_key') continue;
    out.push({ path, issue });
    if (issue.code === 'invalid_union') for (const branch of issue.errors) out.push(...leafIssues(branch, path));
  }
  return out;
}
