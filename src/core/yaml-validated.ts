/**
 * Reading a YAML or JSON file the user wrote (notes, incident.json, a lab scenario) against a zod
 * schema, with each problem reported as an InputError issue naming the file and the path inside it:
 * the first MAX_LISTED_ISSUES of them, the rest counted.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { InputError, type ValidationIssue } from './errors.js';
import { capIssues } from './limits.js';
import { parseYamlDocumentSafe, yamlValue } from './yaml-safe.js';

/** Parse `file` (YAML, which includes JSON) and validate it; throws InputError listing every issue. */
export function readValidated<T extends z.ZodType>(file: string, schema: T, what: string): z.output<T> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
  const doc = parseYamlDocumentSafe(text, file);
  if (doc.errors.length) {
    const issues: ValidationIssue[] = doc.errors.map((e) => ({
      code: 'yaml',
      path: '',
      message: e.message,
      severity: 'error',
      file,
      line: e.linePos?.[0].line,
      col: e.linePos?.[0].col,
    }));
    throw new InputError(`${file}: ${what} is not valid YAML`, capIssues(issues, file));
  }
  const parsed = schema.safeParse(yamlValue(doc, file) ?? {});
  if (!parsed.success) {
    const issues: ValidationIssue[] = parsed.error.issues.map((i) => ({
      code: i.code,
      path: i.path.join('.'),
      message: i.message,
      severity: 'error',
      file,
    }));
    const n = `${issues.length} problem${issues.length === 1 ? '' : 's'}`;
    throw new InputError(`${file}: not a valid ${what}, ${n}`, capIssues(issues, file));
  }
  return parsed.data;
}
