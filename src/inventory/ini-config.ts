/**
 * An INI config file read the way Python's `configparser.ConfigParser(inline_comment_prefixes=(';',))`
 * reads it for Ansible (ansible/config/manager.py), so an ansible.cfg means the same to both:
 * `[section]` headers (case-sensitive), `key = value` or `key: value` split at the first `=` or `:`,
 * keys lower-cased, `#`/`;` comment lines (indented too), ` ;` inline comments (after whitespace only;
 * an inline `#` is text), values continued on more-indented lines (joined with newlines), empty lines
 * kept inside a value and trimmed at its end, a `[DEFAULT]` section behind every other section.
 * Like configparser in strict mode, a duplicate section or key, a key before any section and a line
 * with no `=`/`:` are errors; all of them are reported at once, each with its line.
 */
import { InputError, type ValidationIssue } from '../core/errors.js';

/** One `key = value` of the file. */
export interface IniEntry {
  /** The value as configparser returns it with `raw=True` (no interpolation). */
  value: string;
  /** 1-based line of the key. */
  line: number;
}

export interface IniDocument {
  file: string;
  /** Section name (as written) → lower-cased key → entry. */
  sections: Map<string, Map<string, IniEntry>>;
  /** The `[DEFAULT]` section, consulted behind every existing section. */
  defaults: Map<string, IniEntry>;
}

const DEFAULT_SECTION = 'DEFAULT';
const SECTION_HEADER = /^\[(.+)\]/;
const OPTION = /^(.*?)\s*([=:])\s*(.*)$/;

/** Where a full-line or inline comment starts in `line`, or -1. */
function commentStart(line: string): number {
  if (/^\s*[#;]/.test(line)) return 0;
  for (let i = line.indexOf(';'); i !== -1; i = line.indexOf(';', i + 1))
    if (i === 0 || /\s/.test(line[i - 1] as string)) return i;
  return -1;
}

export function parseIniConfig(text: string, file: string): IniDocument {
  const doc: IniDocument = { file, sections: new Map(), defaults: new Map() };
  const issues: ValidationIssue[] = [];
  const issue = (line: number, message: string) =>
    issues.push({ code: 'ini_syntax', path: '', message, severity: 'error', file, line });
  const seenSections = new Set<string>();
  const seenKeys = new Set<string>();
  let section: { name: string; entries: Map<string, IniEntry> } | undefined;
  let current: { lines: string[]; entry: IniEntry } | undefined;
  let indent = Number.MAX_SAFE_INTEGER;
  const pending: Array<{ lines: string[]; entry: IniEntry }> = [];

  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const lineNo = i + 1;
    const c = commentStart(raw);
    const value = (c === -1 ? raw : raw.slice(0, c)).trim();
    if (!value) {
      // An empty line belongs to the value being read (trimmed at its end); a comment line does not.
      if (c === -1 && current) current.lines.push('');
      continue;
    }
    const lineIndent = raw.search(/\S/);
    if (current && lineIndent > indent) {
      current.lines.push(value);
      continue;
    }
    indent = lineIndent;
    const header = SECTION_HEADER.exec(value);
    if (header) {
      const name = header[1] as string;
      if (seenSections.has(name)) issue(lineNo, `section [${name}] appears twice`);
      seenSections.add(name);
      const entries = name === DEFAULT_SECTION ? doc.defaults : (doc.sections.get(name) ?? new Map<string, IniEntry>());
      if (name !== DEFAULT_SECTION) doc.sections.set(name, entries);
      section = { name, entries };
      current = undefined;
      continue;
    }
    if (!section) {
      issue(lineNo, `"${value}" comes before any [section] header`);
      break; // configparser stops here too: nothing after it has a section to belong to
    }
    const opt = OPTION.exec(value);
    const key = opt?.[1]?.trimEnd().toLowerCase();
    if (!opt || !key) {
      issue(lineNo, `"${value}" is not "key = value"`);
      current = undefined;
      continue;
    }
    if (seenKeys.has(`${section.name}\0${key}`)) issue(lineNo, `key "${key}" appears twice in [${section.name}]`);
    seenKeys.add(`${section.name}\0${key}`);
    current = { lines: [(opt[3] as string).trim()], entry: { value: '', line: lineNo } };
    section.entries.set(key, current.entry);
    pending.push(current);
  }
  for (const p of pending) p.entry.value = p.lines.join('\n').trimEnd();
  if (issues.length) throw new InputError(`cannot read ${file}`, issues);
  return doc;
}

/** configparser's `get(section, key)`: the section's key, else `[DEFAULT]`'s; nothing when the section is absent. */
export function iniGet(doc: IniDocument, section: string, key: string): IniEntry | undefined {
  const s = doc.sections.get(section);
  if (!s) return undefined;
  return s.get(key.toLowerCase()) ?? doc.defaults.get(key.toLowerCase());
}
