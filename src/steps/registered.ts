/**
 * Reading what an earlier step registered (`from: <register name>`): its findings (lock_user,
 * kill_process, backup exclusions) and its stored artifacts (restore). At `firebreak plan` time the
 * registered values are placeholders that only know their name; these helpers say so instead of
 * pretending the step found nothing.
 */
import { z } from 'zod';
import {
  severityRank,
  type Finding,
  type FindingKind,
  type FindingSeverity,
  type StoredArtifact,
} from '../core/index.js';

/** What a `from:` reference resolved to. `planTime`: the real value exists only when the run gets there. */
export type FromResult<T> = { planTime: true; items: [] } | { planTime: false; items: T[] };

/** The text a plan-time stand-in shows, e.g. `<registered:suspects.findings>`. */
export function placeholderText(name: string, field: string): string {
  return `<registered:${name}.${field}>`;
}

function lookup(registered: Record<string, unknown>, name: string, step: string): Record<string, unknown> {
  const value = registered[name];
  if (value === undefined || value === null || typeof value !== 'object') {
    const known = Object.keys(registered);
    throw new Error(
      `${step}: from: no earlier step on this host registered "${name}"${known.length ? ` (registered: ${known.join(', ')})` : ''}`,
    );
  }
  return value as Record<string, unknown>;
}

/** Plan-time placeholders render every field as `<registered:name.field>`. */
function isPlaceholder(value: Record<string, unknown>): boolean {
  return typeof value.rc === 'string' && value.rc.startsWith('<registered:');
}

/**
 * Findings of the registered result `name` whose kind is one of `kinds` and whose severity is at
 * least `minSeverity` — acting on every `info` finding would lock every admin with a key. A skipped
 * step found nothing.
 */
export function findingsFrom(
  registered: Record<string, unknown>,
  name: string,
  kinds: readonly FindingKind[],
  step: string,
  minSeverity: FindingSeverity = 'medium',
): FromResult<Finding> {
  const all = allFindingsFrom(registered, name, step);
  if (all.planTime) return all;
  return {
    planTime: false,
    items: all.items.filter((f) => kinds.includes(f.kind) && severityRank(f.severity) >= severityRank(minSeverity)),
  };
}

/** Every finding of the registered result `name`. */
export function allFindingsFrom(registered: Record<string, unknown>, name: string, step: string): FromResult<Finding> {
  const value = lookup(registered, name, step);
  if (isPlaceholder(value)) return { planTime: true, items: [] };
  return { planTime: false, items: Array.isArray(value.findings) ? (value.findings as Finding[]) : [] };
}

export const minSeveritySchema = z
  .enum(['info', 'low', 'medium', 'high', 'critical'])
  .default('medium')
  .describe('With from: act only on findings at least this severe');

/** Artifacts the registered result `name` stored (a backup step's archive and manifest). */
export function artifactsFrom(
  registered: Record<string, unknown>,
  name: string,
  step: string,
): FromResult<StoredArtifact> {
  const value = lookup(registered, name, step);
  if (isPlaceholder(value)) return { planTime: true, items: [] };
  return { planTime: false, items: Array.isArray(value.artifacts) ? (value.artifacts as StoredArtifact[]) : [] };
}

/** A detail field as a string (findings carry strings, numbers or lists). */
export function detailString(f: Finding, key: string): string | undefined {
  const v = f.detail[key];
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** Unique values in first-seen order. */
export function unique<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}
