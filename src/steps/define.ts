/**
 * Helpers shared by step type files: `defineStepType` keeps the literal type key (`'shell'`) in the
 * TypeScript type, so the runbook schema built from the registry gives `defineRunbook()` exact types.
 */
import { z } from 'zod';
import type { StepType } from './types.js';

/** A StepType whose `type` is a string literal. */
export type NamedStepType<K extends string, S extends z.ZodType> = StepType<S> & { readonly type: K };

/** Identity, typed: infers the literal key and the params schema of a step type. */
export function defineStepType<K extends string, S extends z.ZodType>(t: NamedStepType<K, S>): NamedStepType<K, S> {
  return t;
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Parse `30s`, `10m`, `1.5h`, `250ms` or a number of milliseconds. Returns undefined when invalid. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  const m = DURATION.exec(value.trim());
  if (!m) return /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

/** A duration field: `30s` / `10m` / `2h` / `500ms` or milliseconds; parsed to milliseconds. */
export const durationSchema = z
  .union([z.number().int().nonnegative(), z.string().regex(DURATION, 'expected a duration like 30s, 10m, 1h or 500ms')])
  .transform((v) => parseDuration(v) as number)
  .describe('Duration: 30s, 10m, 1h, 500ms, or a number of milliseconds');

/** A map of environment variables: names must be shell identifiers. */
export const envSchema = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names must be identifiers'),
    z.union([z.string(), z.number(), z.boolean()]).transform(String),
  )
  .describe('Environment variables for the command');
