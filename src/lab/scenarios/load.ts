/** Find and validate scenario files: the shipped `scenarios/` directory, or a path. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, packagePath, type ValidationIssue } from '../../core/index.js';
import { parseYamlDocumentSafe, yamlValue } from '../../core/yaml-safe.js';
import { scenarioSpec, type ScenarioSpec } from './schema.js';

export const SCENARIO_DIR = packagePath('scenarios');

export function scenarioNames(dir = SCENARIO_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

export function loadScenarioFile(file: string): ScenarioSpec {
  const doc = parseYamlDocumentSafe(readFileSync(file, 'utf8'), file);
  if (doc.errors.length)
    throw new InputError(
      `${file}: not valid YAML`,
      doc.errors.map((e) => ({
        code: 'yaml',
        path: '',
        message: e.message,
        severity: 'error',
        file,
        line: e.linePos?.[0].line,
        col: e.linePos?.[0].col,
      })),
    );
  const parsed = scenarioSpec.safeParse(yamlValue(doc, file));
  if (!parsed.success) {
    const issues: ValidationIssue[] = parsed.error.issues.map((i) => ({
      code: i.code,
      path: i.path.join('.'),
      message: i.message,
      severity: 'error',
      file,
    }));
    throw new InputError(`${file}: not a valid scenario`, issues);
  }
  const ids = parsed.data.truth.map((t) => t.id);
  const dup = ids.find((id, k) => ids.indexOf(id) !== k);
  if (dup) throw new InputError(`${file}: indicator id ${dup} appears twice`);
  return parsed.data;
}

/** A shipped scenario by name, or a scenario file by path. */
export function loadScenario(nameOrPath: string): ScenarioSpec {
  if (nameOrPath.includes('/') || nameOrPath.endsWith('.yaml')) return loadScenarioFile(nameOrPath);
  const file = join(SCENARIO_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(file))
    throw new InputError(`unknown scenario ${nameOrPath}: known scenarios are ${scenarioNames().join(', ')}`);
  return loadScenarioFile(file);
}
