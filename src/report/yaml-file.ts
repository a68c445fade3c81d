/**
 * Reading a small YAML or JSON file the user wrote (notes, incident.json) against a zod schema, with
 * every problem reported as an InputError issue naming the file and the path inside it.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { InputError, type ValidationIssue } from '../core/index.js';
import { parseYamlDocumentSafe, yamlValue } from '../core/yaml-safe.js';

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
    throw new InputError(`${file}: ${what} is not valid YAML`, issues);
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
    throw new InputError(`${file}: not a valid ${what}`, issues);
  }
  return parsed.data;
}
