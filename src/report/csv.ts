/**
 * CSV as RFC 4180 writes it (no CSV library is a dependency, and writing is the easy half): a field
 * with a comma, a double quote or a line break is quoted, quotes inside doubled; records end in CRLF.
 *
 * The cells carry text from compromised hosts, so two more rules:
 * - Formula injection: a cell starting with `=`, `+`, `-`, `@` or a tab is a formula to Excel,
 *   LibreOffice and Google Sheets (`=HYPERLINK(...)`, `@SUM(...)`); such a cell gets a leading `'`,
 *   which spreadsheets hide and treat as "this is text" (the OWASP "CSV injection" advice). Data
 *   tools that read the CSV literally see the `'`: the run directory keeps the original.
 * - Terminal escapes: the CSV may be printed to a terminal, so control characters other than tab and
 *   newline are shown as `\xNN` (core/terminal.ts), as everything else firebreak prints.
 */
import { terminalSafe } from '../core/index.js';

const FORMULA_START = /^[=+\-@\t]/;
const NEEDS_QUOTES = /[",\r\n]/;

export type CsvValue = string | number | boolean | null;

/** One field, neutralised and quoted as needed; null is the empty field. */
export function csvField(value: CsvValue): string {
  if (value === null) return '';
  let text = terminalSafe(String(value));
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole CSV document: the header, then one record per row, each ended by CRLF. */
export function csvDocument<K extends string>(columns: readonly K[], rows: readonly Record<K, CsvValue>[]): string {
  const record = (fields: readonly CsvValue[]) => fields.map(csvField).join(',') + '\r\n';
  return record(columns) + rows.map((row) => record(columns.map((c) => row[c]))).join('');
}
