/**
 * Runbook params: declared defaults, overridden by `--params file.yaml` and `-e key=value` /
 * `-e @file.yaml` (later overrides win, in the order given). `-e` values are read like YAML scalars
 * (`-e n=3` is a number, `-e on=true` a boolean, `-e 'l=[a, b]'` a list), except that a param
 * declared `string` keeps the text exactly as typed (`-e version=1.10` stays "1.10").
 * Unknown params, wrong types and missing required params are InputErrors listing every problem.
 */
import { readFileSync } from 'node:fs';
import { InputError, type ValidationIssue } from '../core/index.js';
import { parseYamlSafe } from '../core/yaml-safe.js';
import { hasParamType, type ParamSpec } from './schema.js';
import { didYouMean } from './suggest.js';

/** One overriding value, and where it came from (for messages). */
export interface ParamOverride {
  key: string;
  value: unknown;
  /** The text as typed on the command line (`-e key=value`), when it came from there. */
  raw?: string;
  source: string;
}

function readMapping(file: string, source: string, read: (f: string) => string): ParamOverride[] {
  let data: unknown;
  try {
    data = parseYamlSafe(read(file), file);
  } catch (e) {
    throw new InputError(`${source}: cannot read ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (data === null || data === undefined) return [];
  if (typeof data !== 'object' || Array.isArray(data))
    throw new InputError(`${source}: ${file} must contain a mapping of param names to values`);
  return Object.entries(data).map(([key, value]) => ({ key, value, source: `${source} (${file})` }));
}

const readText = (f: string) => readFileSync(f, 'utf8');

/** Parse `-e key=value` and `-e @file.yaml` arguments, in order. */
export function parseExtraVars(args: readonly string[], read: (f: string) => string = readText): ParamOverride[] {
  const out: ParamOverride[] = [];
  for (const arg of args) {
    if (arg.startsWith('@')) {
      out.push(...readMapping(arg.slice(1), '-e', read));
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new InputError(`-e ${arg}: expected key=value or @file.yaml`);
    const key = arg.slice(0, eq).trim();
    const raw = arg.slice(eq + 1);
    let value: unknown;
    try {
      value = raw === '' ? '' : parseYamlSafe(raw, `-e ${key}`);
    } catch {
      value = raw;
    }
    out.push({ key, value, raw, source: `-e ${key}` });
  }
  return out;
}

/** Read `--params file.yaml`. */
export function readParamsFile(file: string, read: (f: string) => string = readText): ParamOverride[] {
  return readMapping(file, '--params', read);
}

/**
 * Resolve the final params: defaults, then overrides in order. Throws InputError listing unknown
 * params (with "did you mean"), wrong types and missing required params.
 */
export function resolveParams(
  specs: Record<string, ParamSpec> | undefined,
  overrides: readonly ParamOverride[],
): Record<string, unknown> {
  const declared = specs ?? {};
  const issues: ValidationIssue[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(declared)) if (spec.default !== undefined) values[name] = spec.default;
  for (const o of overrides) {
    const spec = declared[o.key];
    if (!spec) {
      const known = Object.keys(declared);
      issues.push({
        code: 'unknown_param',
        path: `params.${o.key}`,
        severity: 'error',
        message: `${o.source}: unknown param "${o.key}"${didYouMean(o.key, known)}${known.length ? `; the runbook declares: ${known.join(', ')}` : '; the runbook declares no params'}`,
      });
      continue;
    }
    let value = o.value;
    if (spec.type === 'string') {
      if (o.raw !== undefined) value = o.raw;
      else if (typeof value === 'number' || typeof value === 'boolean') value = String(value);
    }
    if (!hasParamType(value, spec.type)) {
      issues.push({
        code: 'invalid_param',
        path: `params.${o.key}`,
        severity: 'error',
        message: `${o.source}: param "${o.key}" must be a ${spec.type}, got ${JSON.stringify(value)}`,
      });
      continue;
    }
    values[o.key] = value;
  }
  for (const [name, spec] of Object.entries(declared)) {
    if (spec.required && values[name] === undefined) {
      issues.push({
        code: 'missing_param',
        path: `params.${name}`,
        severity: 'error',
        message: `param "${name}" is required: give it with -e ${name}=... or --params FILE`,
      });
    }
  }
  if (issues.length)
    throw new InputError(`invalid params (${issues.length} problem${issues.length === 1 ? '' : 's'})`, issues);
  return values;
}
