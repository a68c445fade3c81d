/** Find and validate scenario files: the shipped `scenarios/` directory, or a path. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, packagePath } from '../../core/index.js';
import { readValidated } from '../../core/yaml-validated.js';
import { scenarioSpec, type ScenarioSpec } from './schema.js';

export const SCENARIO_DIR = packagePath('scenarios');

export function scenarioNames(dir = SCENARIO_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

export function loadScenarioFile(file: string): ScenarioSpec {
  const spec = readValidated(file, scenarioSpec, 'scenario');
  const seen = new Set<string>();
  for (const { id } of spec.truth) {
    if (seen.has(id)) throw new InputError(`${file}: indicator id ${id} appears twice`);
    seen.add(id);
  }
  return spec;
}

/** A shipped scenario by name, or a scenario file by path. */
export function loadScenario(nameOrPath: string): ScenarioSpec {
  if (nameOrPath.includes('/') || nameOrPath.endsWith('.yaml')) return loadScenarioFile(nameOrPath);
  const file = join(SCENARIO_DIR, `${nameOrPath}.yaml`);
  if (!existsSync(file))
    throw new InputError(`unknown scenario ${nameOrPath}: known scenarios are ${scenarioNames().join(', ')}`);
  return loadScenarioFile(file);
}
