/**
 * Load a drill file: YAML syntax, the schema and the checks the schema cannot make alone (known
 * scenarios, counts that fit the lab, named hosts that exist), every problem reported together with
 * file:line:col like a runbook's.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { InputError } from '../core/index.js';
import { hostName } from '../lab/addressing.js';
import { scenarioNames } from '../lab/index.js';
import { documentValue, parseYamlWithPositions, placeIssues, type PositionedYaml } from '../runbook/index.js';
import { flatten, schemaVocabulary, type RawIssue } from '../runbook/issues.js';
import { drillSchema, type DrillSpec } from './schema.js';

/** A validated drill and where it came from. */
export interface LoadedDrill {
  spec: DrillSpec;
  /** The file as given, or a description of where the drill came from (`command line`). */
  source: string;
  /** The runbook path, resolved against the drill file's directory. */
  runbookPath: string;
}

let vocabulary: Set<string> | undefined;
const vocab = (): Set<string> =>
  (vocabulary ??= schemaVocabulary(z.toJSONSchema(drillSchema, { io: 'input', unrepresentable: 'any' })));

function schemaIssues(issues: readonly z.core.$ZodIssue[], data: unknown): RawIssue[] {
  return issues.flatMap((issue): RawIssue[] => {
    // A discriminated union with an unknown discriminator has no branches to pick from: say what is known.
    if (issue.code === 'invalid_union' && issue.errors.length === 0) {
      const options = (issue as { options?: unknown[] }).options ?? [];
      const value = issue.path.reduce<unknown>(
        (v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
        data,
      );
      const message = `unknown ${String(issue.path.at(-1) ?? 'value')} ${JSON.stringify(value)}${options.length ? `: expected one of ${options.join(', ')}` : ''}`;
      return [{ code: 'invalid_value', path: issue.path as (string | number)[], message }];
    }
    return flatten([issue], [], data, vocab());
  });
}

/** What the schema cannot see: scenario names, counts against the lab size, host names. */
export function semanticIssues(spec: DrillSpec, raw: unknown, known: readonly string[] = scenarioNames()): RawIssue[] {
  const out: RawIssue[] = [];
  const scenarios = Object.entries(spec.lab.scenarios);
  for (const [name] of scenarios) {
    if (!known.includes(name))
      out.push({
        code: 'unknown_scenario',
        path: ['lab', 'scenarios', name],
        atKey: true,
        message: `unknown scenario "${name}": known scenarios are ${known.join(', ')}`,
      });
  }
  const planted = scenarios.reduce((n, [, count]) => n + count, 0);
  if (planted > spec.lab.hosts)
    out.push({
      code: 'too_many',
      path: ['lab', 'scenarios'],
      message: `the scenarios ask for ${planted} hosts but the lab has ${spec.lab.hosts}`,
    });
  (spec.lab.compromised ?? []).forEach((name, i) => {
    if (!spec.lab.scenarios[name])
      out.push({
        code: 'unknown_scenario',
        path: ['lab', 'compromised', i],
        message: `"${name}" is not one of this drill's scenarios (${scenarios.map(([n]) => n).join(', ') || 'none'})`,
      });
  });
  const hosts = new Set(Array.from({ length: spec.lab.hosts }, (_, k) => hostName(k + 1)));
  const checkNames = (names: unknown, at: (string | number)[]): void => {
    if (!Array.isArray(names)) return;
    names.forEach((n: string, j) => {
      if (!hosts.has(n))
        out.push({
          code: 'unknown_host',
          path: [...at, j],
          message: `no host "${n}" in a lab of ${spec.lab.hosts} (${hostName(1)}…${hostName(spec.lab.hosts)})`,
        });
    });
  };
  spec.faults.forEach((f, i) => {
    checkNames(f.target, ['faults', i, 'target']);
    if (typeof f.target === 'number' && f.target > spec.lab.hosts)
      out.push({
        code: 'too_many',
        path: ['faults', i, 'target'],
        message: `${f.target} hosts asked for, the lab has ${spec.lab.hosts}`,
      });
  });
  const rawProbes = ((raw as { hypothesis?: Record<string, unknown> }).hypothesis ?? {}) as Record<string, unknown>;
  for (const [probe, value] of Object.entries(spec.hypothesis ?? {})) {
    // The short form `ssh-serves: [n001]` has the names right under the probe.
    checkNames(value?.hosts, ['hypothesis', probe, ...(Array.isArray(rawProbes[probe]) ? [] : ['hosts'])]);
  }
  return out;
}

/** Validate drill data (from YAML or built from command-line flags). Throws InputError listing every problem. */
export function validateDrill(data: unknown, source: string, yaml?: PositionedYaml, file?: string): DrillSpec {
  const result = drillSchema.safeParse(data);
  const raw = result.success ? semanticIssues(result.data, data) : schemaIssues(result.error.issues, data);
  if (result.success && raw.length === 0) return result.data;
  const issues = placeIssues(raw, file, yaml);
  throw new InputError(`${source}: invalid drill (${issues.length} problem${issues.length === 1 ? '' : 's'})`, issues);
}

/** Parse and validate drill YAML text. */
export function parseDrillYaml(text: string, file: string): DrillSpec {
  const yaml = parseYamlWithPositions(text, file);
  return validateDrill(documentValue(yaml, file), file, yaml, file);
}

/** Load a drill file; its runbook path is resolved against the file's directory. */
export function loadDrill(file: string): LoadedDrill {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read drill: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const spec = parseDrillYaml(text, file);
  return { spec, source: file, runbookPath: path.resolve(path.dirname(path.resolve(file)), spec.runbook) };
}
