/**
 * Templates in step params whose type or format a template cannot satisfy before it is rendered
 * (`mode: "{{params.isolation}}"`, `deadman_seconds: "{{params.n}}"`, `paths: ["{{params.data_dir}}"]`
 * where an absolute path is required): at load time such a value is set aside — replaced by a stand-in
 * the schema accepts (see stand-in.ts), validated around it — and put back into the parsed runbook. The
 * planner renders it and validates the result for each host (coercing "30" to 30 where the schema wants
 * a number). Real mistakes elsewhere are still reported; a template where none can stand in (a list, a
 * record key, a field that is never rendered) is reported as such.
 */
import type { core } from 'zod';
import { PHASES } from '../core/index.js';
import { getStepType } from '../steps/index.js';
import type { RawIssue } from './issues.js';
import { formatPath, type PathKey } from './positions.js';
import { getAt, leafIssues, pathKey, setAt, type LeafIssue } from './leaves.js';
import { isTemplate } from './templates.js';
import { STAND_IN_SAMPLES, typedStandIn } from './stand-in.js';

/** Stand in for template leaves of one step type's params; returns the paths replaced (with their templates). */
function standInTemplates(typeName: string, params: unknown): Map<string, { path: PropertyKey[]; template: string }> {
  const type = getStepType(typeName);
  const replaced = new Map<string, { path: PropertyKey[]; template: string }>();
  if (!type || params === null || typeof params !== 'object') return replaced;
  const issuesAt = (path: PropertyKey[]): LeafIssue[] => {
    const r = type.schema.safeParse(params);
    return r.success ? [] : leafIssues(r.error.issues).filter((l) => pathKey(l.path) === pathKey(path));
  };
  // The first sample the schema takes at this path (every branch of a union is tried with it).
  const sample = (path: PropertyKey[]): string | undefined =>
    STAND_IN_SAMPLES.find((s) => {
      setAt(params, path, s);
      return !issuesAt(path).length;
    });
  const stuck = new Set<string>(); // no stand-in fits: left as written, for the schema to report
  for (let round = 0; round < 20; round++) {
    const r = type.schema.safeParse(params);
    if (r.success) return replaced;
    const todo = new Map<string, { path: PropertyKey[]; issues: core.$ZodIssue[] }>();
    for (const { path, issue } of leafIssues(r.error.issues)) {
      const k = pathKey(path);
      // A stand-in may itself be refused (1 below a minimum of 3): its path stays ours to fix.
      if (!path.length || stuck.has(k) || !(isTemplate(getAt(params, path)) || replaced.has(k))) continue;
      const entry = todo.get(k) ?? { path, issues: [] };
      entry.issues.push(issue);
      todo.set(k, entry);
    }
    if (!todo.size) return replaced;
    for (const [k, { path, issues }] of todo) {
      const template = replaced.get(k)?.template ?? (getAt(params, path) as string);
      const typed = issues.map(typedStandIn).find((v) => v !== undefined);
      const value = typed !== undefined ? typed : sample(path);
      if (value === undefined) {
        stuck.add(k);
        replaced.delete(k);
        setAt(params, path, template);
      } else {
        replaced.set(k, { path, template });
        setAt(params, path, value);
      }
    }
  }
  return replaced;
}

export interface Deferred {
  /** The data to validate: a copy with templated leaves stood in for where a stand-in fits. */
  data: unknown;
  /** Put the templates back into the parsed runbook (same paths). */
  restore<T>(parsed: T): T;
  /** Say so when an issue is about a template no stand-in fits (paths as in the input). */
  explain(issues: readonly RawIssue[]): RawIssue[];
}

/** Issues about a value's own type or format; others (unknown keys, a refine across fields) are not the template's. */
const VALUE_CODES = new Set(['invalid_type', 'invalid_format', 'invalid_value', 'too_small', 'too_big', 'invalid_key']);

/**
 * A template still refused after deferral is where a template cannot go: a list or object, a record key
 * (keys are not rendered), a field that is never rendered (a step's `timeout`, a phase's `serial`).
 */
function explainTemplates(input: unknown, issues: readonly RawIssue[]): RawIssue[] {
  return issues.map((r) => {
    if (!VALUE_CODES.has(r.code)) return r;
    const template = r.atKey ? r.path[r.path.length - 1] : getAt(input, r.path);
    if (!isTemplate(template)) return r;
    // The field by its name (`paths[0]`, `timeout`); the issue's path and position say where it is.
    const named = r.path.map((k) => typeof k === 'string').lastIndexOf(true);
    const field = r.atKey ? 'a key' : formatPath(r.path.slice(Math.max(named, 0)));
    return { ...r, message: `${field} can't take a template (${template}): ${r.message}` };
  });
}

export function deferTemplates(input: unknown): Deferred {
  let data: { phases?: Record<string, unknown> } | null;
  try {
    data = structuredClone(input) as typeof data;
  } catch {
    // not plain data (a TS runbook with functions): nothing to set aside
    return { data: input, restore: (parsed) => parsed, explain: (issues) => explainTemplates(input, issues) };
  }
  const puts: { at: PathKey[]; path: PropertyKey[]; template: string }[] = [];
  const phases = data && typeof data === 'object' ? (data.phases ?? {}) : {};
  for (const phase of PHASES) {
    const raw = phases[phase];
    const steps = Array.isArray(raw)
      ? raw
      : raw && typeof raw === 'object'
        ? (raw as { steps?: unknown }).steps
        : undefined;
    if (!Array.isArray(steps)) continue;
    steps.forEach((step: unknown, i) => {
      if (step === null || typeof step !== 'object') return;
      const typeName = Object.keys(step).find((k) => getStepType(k));
      if (!typeName) return;
      for (const r of standInTemplates(typeName, (step as Record<string, unknown>)[typeName]).values())
        puts.push({ at: [phase, i, typeName], ...r });
    });
  }
  return {
    data,
    restore(parsed) {
      for (const p of puts) {
        const [phase, i, typeName] = p.at as [string, number, string];
        const step = (parsed as { phases: Record<string, { steps: Record<string, unknown>[] }> }).phases[phase]?.steps[
          i
        ];
        if (step) setAt(step[typeName], p.path, p.template);
      }
      return parsed;
    },
    explain: (issues) => explainTemplates(input, issues),
  };
}
