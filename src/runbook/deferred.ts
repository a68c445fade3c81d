/**
 * Templates in non-string step params (`mode: "{{params.isolation}}"`, `deadman_seconds: "{{params.n}}"`):
 * at load time such a value cannot be checked against its enum or number type, so it is set aside —
 * replaced by a value of the right type taken from the validation issue itself, validated around it —
 * and put back into the parsed runbook. The planner renders it and validates the result for each host
 * (coercing "30" to 30 where the schema wants a number). Real mistakes elsewhere are still reported.
 */
import type { core } from 'zod';
import { PHASES } from '../core/index.js';
import { getStepType } from '../steps/index.js';
import type { PathKey } from './positions.js';

const isTemplate = (v: unknown): v is string => typeof v === 'string' && v.includes('{{');

/** A stand-in value of the type an issue asked for, or undefined when there is none to give. */
function standIn(issue: core.$ZodIssue): unknown {
  if (issue.code === 'invalid_value') return issue.values[0];
  if (issue.code === 'invalid_type' && (issue.expected === 'number' || issue.expected === 'int')) return 1;
  if (issue.code === 'invalid_type' && issue.expected === 'boolean') return true;
  if (issue.code === 'too_small' && typeof issue.minimum === 'number') return issue.minimum;
  if (issue.code === 'too_big' && typeof issue.maximum === 'number') return issue.maximum;
  return undefined;
}

function getAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), root);
}

function setAt(root: unknown, path: readonly PropertyKey[], value: unknown): void {
  const parent = getAt(root, path.slice(0, -1));
  if (parent !== null && typeof parent === 'object') (parent as Record<PropertyKey, unknown>)[path[path.length - 1] as PropertyKey] = value;
}

/** Stand in for template leaves of one step type's params; returns the paths replaced (with their templates). */
function standInTemplates(typeName: string, params: unknown): Map<string, { path: PropertyKey[]; template: string }> {
  const type = getStepType(typeName);
  const replaced = new Map<string, { path: PropertyKey[]; template: string }>();
  if (!type || params === null || typeof params !== 'object') return replaced;
  for (let round = 0; round < 20; round++) {
    const r = type.schema.safeParse(params);
    if (r.success) return replaced;
    const key = (i: core.$ZodIssue): string => i.path.map(String).join('\u0000');
    // A stand-in may itself be refused (1 below a minimum of 3): its path stays ours to fix.
    const fixable = r.error.issues.filter((i) => (isTemplate(getAt(params, i.path)) || replaced.has(key(i))) && standIn(i) !== undefined);
    if (!fixable.length) return replaced;
    for (const i of fixable) {
      if (!replaced.has(key(i))) replaced.set(key(i), { path: i.path, template: getAt(params, i.path) as string });
      setAt(params, i.path, standIn(i));
    }
  }
  return replaced;
}

export interface Deferred {
  /** The data to validate: a copy with templated non-string leaves stood in for. */
  data: unknown;
  /** Put the templates back into the parsed runbook (same paths). */
  restore<T>(parsed: T): T;
}

export function deferTemplates(input: unknown): Deferred {
  let data: { phases?: Record<string, unknown> } | null;
  try {
    data = structuredClone(input) as typeof data;
  } catch {
    return { data: input, restore: (parsed) => parsed }; // not plain data (a TS runbook with functions): nothing to set aside
  }
  const puts: { at: PathKey[]; path: PropertyKey[]; template: string }[] = [];
  const phases = data && typeof data === 'object' ? (data.phases ?? {}) : {};
  for (const phase of PHASES) {
    const raw = phases[phase];
    const steps = Array.isArray(raw) ? raw : raw && typeof raw === 'object' ? (raw as { steps?: unknown }).steps : undefined;
    if (!Array.isArray(steps)) continue;
    steps.forEach((step: unknown, i) => {
      if (step === null || typeof step !== 'object') return;
      const typeName = Object.keys(step).find((k) => getStepType(k));
      if (!typeName) return;
      for (const r of standInTemplates(typeName, (step as Record<string, unknown>)[typeName]).values()) puts.push({ at: [phase, i, typeName], ...r });
    });
  }
  return {
    data,
    restore(parsed) {
      for (const p of puts) {
        const [phase, i, typeName] = p.at as [string, number, string];
        const step = (parsed as { phases: Record<string, { steps: Record<string, unknown>[] }> }).phases[phase]?.steps[i];
        if (step) setAt(step[typeName], p.path, p.template);
      }
      return parsed;
    },
  };
}
