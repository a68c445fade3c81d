/**
 * Reading YAML the way Ansible's loader does (YAML 1.1: `yes` is true, `010` is 8; duplicate keys
 * allowed, last wins), keeping node positions so problems can point at file:line:col.
 */
import { LineCounter, type Document, type Node } from 'yaml';
import { InputError } from '../core/errors.js';
import { LIMITS, yamlGuard } from '../core/limits.js';
import { checkAcyclic, parseYamlDocumentSafe } from '../core/yaml-safe.js';
import type { ValidationIssue } from '../core/errors.js';
import { vaultTag, VaultedValue } from './vault-values.js';

/** A parsed YAML file plus what is needed to turn node offsets into line:col. */
export interface YamlFile {
  doc: Document;
  file: string;
  lines: LineCounter;
}

/** Parses `text`; syntax errors go to `issues` and the result is undefined. */
export function readYaml(text: string, file: string, issues: ValidationIssue[]): YamlFile | undefined {
  const lines = new LineCounter();
  let doc: Document.Parsed;
  try {
    // A limit or too many syntax errors is an issue like any other: an extension-less INI file
    // read as YAML first still falls back to the INI parser.
    doc = parseYamlDocumentSafe(text, file, {
      version: '1.1',
      uniqueKeys: false,
      lineCounter: lines,
      merge: true,
      customTags: [vaultTag(file)],
    });
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    const line = /^[^\n]*?:(\d+): /.exec(err.message)?.[1];
    const message = err.message.replace(/^[^\n]*?(:\d+)?: /, '');
    issues.push({
      code: 'input_limit',
      path: '',
      message,
      severity: 'error',
      file,
      ...(line ? { line: Number(line), col: 1 } : {}),
    });
    return undefined;
  }
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      issues.push({
        code: 'yaml_syntax',
        path: '',
        message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
        severity: 'error',
        file,
        ...(pos ? { line: pos.line, col: pos.col } : {}),
      });
    }
    return undefined;
  }
  return { doc, file, lines };
}

/**
 * Plain JS value of a node; dates become ISO strings, roughly as Ansible's JSON encoder writes them.
 * An inline `!vault` value stays a VaultedValue, for the loader to decrypt.
 */
export function toPlain(y: YamlFile, node: unknown): unknown {
  if (node === null || node === undefined) return null;
  const v = (node as Node).toJS
    ? yamlGuard(y.file, () => (node as Node).toJS(y.doc, { maxAliasCount: LIMITS.yamlAliases }))
    : node;
  return datesToStrings(checkAcyclic(v, y.file));
}

function datesToStrings(v: unknown): unknown {
  if (v instanceof Date) {
    // PyYAML gives a date for `2001-12-14` (printed as such); full timestamps are approximated in UTC.
    const iso = v.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (Array.isArray(v)) return v.map(datesToStrings);
  if (v && typeof v === 'object' && !(v instanceof VaultedValue)) {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, datesToStrings(x)]));
  }
  return v;
}

/** An issue located at a node (or the document start when the node has no range). */
export function issueAt(y: YamlFile, node: unknown, code: string, message: string, path = ''): ValidationIssue {
  const range = (node as Node | null)?.range;
  const pos = range ? y.lines.linePos(range[0]) : { line: 1, col: 1 };
  return { code, path, message, severity: 'error', file: y.file, line: pos.line, col: pos.col };
}
