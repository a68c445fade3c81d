/**
 * YAML documents with positions, and validation issues placed on them: shared by every file
 * firebreak validates (runbooks, drills), so each reports problems the same way — every one, with
 * file:line:col and path, in file order.
 */
import { LineCounter, type Document } from 'yaml';
import { InputError, type ValidationIssue } from '../core/index.js';
import { moreIssues } from '../core/limits.js';
import { duplicateKeyOffsets, parseYamlDocumentSafe, yamlValue } from '../core/yaml-safe.js';
import { MAX_LISTED_ISSUES, type RawIssue } from './issues.js';
import { formatPath, locate } from './positions.js';

export interface PositionedYaml {
  doc: Document;
  lineCounter: LineCounter;
}

/**
 * Parse YAML text keeping positions; syntax errors and duplicate keys throw an InputError with each
 * position. Input over the size or nesting limits (src/core/limits.ts) is refused before parsing.
 */
export function parseYamlWithPositions(text: string, file: string): PositionedYaml {
  const lineCounter = new LineCounter();
  // uniqueKeys off: the library compares every key with every other (16,000 keys took seconds); we use a set.
  const doc = parseYamlDocumentSafe(text, file, { lineCounter, uniqueKeys: false });
  const at = (offset: number): { line: number; col: number } => lineCounter.linePos(offset);
  const issues: ValidationIssue[] = doc.errors.map((e) => ({
    code: 'yaml_syntax',
    path: '',
    message: e.message.split('\n')[0] ?? e.message,
    severity: 'error',
    file,
    ...at(e.pos[0]),
  }));
  if (!issues.length) {
    for (const offset of duplicateKeyOffsets(doc)) {
      const message = 'duplicate key (each key may appear once in a mapping)';
      issues.push({ code: 'duplicate_key', path: '', message, severity: 'error', file, ...at(offset) });
    }
  }
  if (issues.length) throw new InputError(`${file}: invalid YAML`, issues);
  return { doc, lineCounter };
}

/** The document's value, within the alias limit; an alias bomb or a dangling alias is an InputError. */
export function documentValue(yaml: PositionedYaml, file: string): unknown {
  return yamlValue(yaml.doc, file);
}

/** `3 problems`, or `more than 100 problems` when placeIssues cut the list. */
export function countProblems(issues: readonly ValidationIssue[]): string {
  if (issues.at(-1)?.code === 'more_issues') return `more than ${issues.length - 1} problems`;
  return `${issues.length} problem${issues.length === 1 ? '' : 's'}`;
}

/** Raw issues → ValidationIssues with file, line and column where the document says, in file order. */
export function placeIssues(all: readonly RawIssue[], file?: string, yaml?: PositionedYaml): ValidationIssue[] {
  const raw = all.slice(0, MAX_LISTED_ISSUES);
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
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
  if (all.length > raw.length) issues.push(moreIssues(all.length - raw.length, raw.length, file));
  return issues;
}
