/**
 * YAML documents with positions, and validation issues placed on them: shared by every file
 * firebreak validates (runbooks, drills), so each reports problems the same way — every one, with
 * file:line:col and path, in file order.
 */
import { LineCounter, parseDocument, type Document } from 'yaml';
import { InputError, type ValidationIssue } from '../core/index.js';
import type { RawIssue } from './issues.js';
import { formatPath, locate } from './positions.js';

export interface PositionedYaml {
  doc: Document;
  lineCounter: LineCounter;
}

/** Parse YAML text keeping positions; syntax errors and duplicate keys throw an InputError with each position. */
export function parseYamlWithPositions(text: string, file: string): PositionedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length) {
    const issues = doc.errors.map((e): ValidationIssue => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      const message =
        e.code === 'DUPLICATE_KEY'
          ? 'duplicate key (each key may appear once in a mapping)'
          : (e.message.split('\n')[0] ?? e.message);
      return {
        code: e.code === 'DUPLICATE_KEY' ? 'duplicate_key' : 'yaml_syntax',
        path: '',
        message,
        severity: 'error',
        file,
        line,
        col,
      };
    });
    throw new InputError(`${file}: invalid YAML`, issues);
  }
  return { doc, lineCounter };
}

/** Raw issues → ValidationIssues with file, line and column where the document says, in file order. */
export function placeIssues(raw: readonly RawIssue[], file?: string, yaml?: PositionedYaml): ValidationIssue[] {
  const issues = raw.map((r): ValidationIssue => {
    const pos = yaml ? locate(yaml.doc, yaml.lineCounter, r.path, r.atKey) : undefined;
    return {
      code: r.code,
      path: formatPath(r.path),
      message: r.message,
      severity: 'error',
      ...(file ? { file } : {}),
      ...(pos ?? {}),
    };
  });
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}
