/**
 * Load a runbook file: YAML (`.yaml`/`.yml`) or TypeScript/JavaScript (`.ts`/`.mts`/`.js`/`.mjs`, the
 * default export, loaded at run time with tsx). Every problem is collected — YAML syntax, duplicate
 * keys, schema issues, template syntax — and thrown together as one InputError with file:line:col.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, PHASES, type ValidationIssue } from '../core/index.js';
import { getStepType, isShellField } from '../steps/index.js';
import { runbookJsonSchema, runbookSchema, type Runbook } from './schema.js';
import { flatten, schemaVocabulary, type RawIssue } from './issues.js';
import type { PathKey } from './positions.js';
import {
  countProblems,
  documentValue,
  parseYamlWithPositions,
  placeIssues,
  type PositionedYaml,
} from './yaml-issues.js';
import { checkTemplate, conditionSource } from './templates.js';
import { deferTemplates } from './deferred.js';
import { checkStepCount, checkTemplateNesting } from './runbook-limits.js';

/** A validated runbook and where it came from. */
export interface LoadedRunbook {
  runbook: Runbook;
  /** The file as given (for messages). */
  file: string;
  /** Absolute directory of the file: relative `script`/`upload` paths resolve against it. */
  dir: string;
}

let vocabulary: Set<string> | undefined;
const vocab = () => (vocabulary ??= schemaVocabulary(runbookJsonSchema()));

/** Template syntax problems in a schema-valid runbook (paths follow the input's shape). */
export function templateIssues(runbook: Runbook, input: unknown): RawIssue[] {
  const out: RawIssue[] = [];
  const phases = (input as { phases?: Record<string, unknown> }).phases ?? {};
  for (const phase of PHASES) {
    const steps = runbook.phases[phase]?.steps ?? [];
    const base: PathKey[] = Array.isArray(phases[phase]) ? ['phases', phase] : ['phases', phase, 'steps'];
    steps.forEach((step, i) => {
      const at = (...rest: PathKey[]) => [...base, i, ...rest];
      for (const key of ['when', 'failed_when', 'until'] as const) {
        const v = step[key];
        const err = typeof v === 'string' ? checkTemplate(conditionSource(v), 'text') : undefined;
        if (err) out.push({ code: 'template', path: at(key), message: err });
      }
      const typeName = Object.keys(step).find((k) => getStepType(k));
      const type = typeName ? getStepType(typeName) : undefined;
      if (!type || !typeName) return;
      const walk = (v: unknown, p: PathKey[]) => {
        if (typeof v === 'string') {
          const err = checkTemplate(v, isShellField(type.shellFields, p) ? 'shell' : 'text');
          if (err) out.push({ code: 'template', path: at(typeName, ...p), message: err });
        } else if (Array.isArray(v)) v.forEach((x, j) => walk(x, [...p, j]));
        else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
      };
      walk((step as Record<string, unknown>)[typeName], []);
    });
  }
  return out;
}

/**
 * Validate runbook data against the schema. Returns the runbook, or every issue found.
 * With a YAML document, issues carry line and column.
 */
export function validateRunbook(
  data: unknown,
  file?: string,
  yaml?: PositionedYaml,
): { runbook?: Runbook; issues: ValidationIssue[] } {
  // Templated enum/number params are checked per host at plan time, after rendering.
  const deferred = deferTemplates(data);
  const parsed = runbookSchema.safeParse(deferred.data);
  const result = parsed.success ? { success: true as const, data: deferred.restore(parsed.data) } : parsed;
  const raw = result.success
    ? templateIssues(result.data, data)
    : deferred.explain(flatten(result.error.issues, [], data, vocab()));
  const issues = placeIssues(raw, file, yaml);
  return result.success && !issues.length ? { runbook: result.data, issues } : { issues };
}

/** Parse and validate YAML runbook text. Throws InputError listing every problem. */
export function parseRunbookYaml(text: string, file: string): Runbook {
  checkTemplateNesting(text, file);
  const yaml = parseYamlWithPositions(text, file);
  const data = documentValue(yaml, file);
  checkStepCount(data, file);
  const { runbook, issues } = validateRunbook(data, file, yaml);
  if (!runbook) throw new InputError(`${file}: invalid runbook (${countProblems(issues)})`, issues);
  return runbook;
}

/** Load a `.ts`/`.js` runbook's default export at run time (tsx) and validate it. */
async function loadScriptRunbook(abs: string, file: string): Promise<Runbook> {
  const { tsImport } = await import('tsx/esm/api');
  let mod: { default?: unknown };
  try {
    mod = (await tsImport(abs, import.meta.url)) as { default?: unknown };
  } catch (e) {
    throw new InputError(`${file}: cannot load: ${(e as Error).message.split('\n')[0]}`);
  }
  // tsx may wrap a CommonJS-looking module once more.
  let data = mod.default;
  if (data && typeof data === 'object' && 'default' in data && !('phases' in data))
    data = (data as { default: unknown }).default;
  if (data === undefined) throw new InputError(`${file}: no default export (export default defineRunbook({...}))`);
  const { runbook, issues } = validateRunbook(data, file);
  if (!runbook)
    throw new InputError(
      `${file}: invalid runbook (${issues.length} problem${issues.length === 1 ? '' : 's'})`,
      issues,
    );
  return runbook;
}

/** Load and validate a runbook file (YAML or TypeScript). Throws InputError. */
export async function loadRunbook(file: string): Promise<LoadedRunbook> {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const ext = path.extname(abs).toLowerCase();
  if (['.ts', '.mts', '.cts', '.js', '.mjs'].includes(ext))
    return { runbook: await loadScriptRunbook(abs, file), file, dir };
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read runbook: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { runbook: parseRunbookYaml(text, file), file, dir };
}
