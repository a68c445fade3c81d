/**
 * Stand-ins: values validated at load time in place of a template (`{{params.x}}`) that cannot be
 * checked until it is rendered for a host. A typed field (enum, number, boolean) takes its stand-in from
 * the zod issue itself; a string with a format check (`.regex(...)`, a built-in format) takes the first
 * of a few sample strings that the schema accepts there.
 */
import type { core } from 'zod';

/**
 * Sample strings tried in order, one per kind of format the step schemas check: names and ids,
 * absolute paths, durations, modes, SHA-256 digests, addresses, CIDRs, URLs. A test checks that every
 * pattern in the runbook JSON Schema accepts one of them.
 */
export const STAND_IN_SAMPLES: readonly string[] = [
  'x',
  '/x',
  '0',
  '30s',
  '0644',
  '0'.repeat(64),
  '127.0.0.1',
  '10.0.0.0/8',
  '::1',
  'http://x/',
  'a@example.com',
];

/** A stand-in value of the type an issue asked for, or undefined when the issue gives none. */
export function typedStandIn(issue: core.$ZodIssue): unknown {
  if (issue.code === 'invalid_value') return issue.values[0];
  if (issue.code === 'invalid_type' && (issue.expected === 'number' || issue.expected === 'int')) return 1;
  if (issue.code === 'invalid_type' && issue.expected === 'boolean') return true;
  // Only numeric bounds: a string's length is left to the samples (a number would trade one issue for another).
  const numeric = (origin: string) => origin === 'number' || origin === 'int';
  if (issue.code === 'too_small' && numeric(issue.origin) && typeof issue.minimum === 'number') return issue.minimum;
  if (issue.code === 'too_big' && numeric(issue.origin) && typeof issue.maximum === 'number') return issue.maximum;
  return undefined;
}
