/**
 * Escaping for the report's output formats. Everything in a report that came from a host (command
 * output, file names, user names, finding summaries) is hostile until escaped for where it lands:
 * XML/HTML text and attributes, a Markdown table cell or paragraph, a Markdown code block.
 */

const XML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value in XML/HTML (the SVG charts build their markup as strings). */
export function escapeXml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => XML[c]!);
}

// C0 controls other than tab and newlines, and DEL: they have no business in a document (ANSI colours, NULs).
const CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g; // eslint-disable-line no-control-regex

/** Characters with a meaning in inline Markdown (CommonMark + GFM tables and strikethrough). */
const MD_INLINE = /[\\`*_[\]|~<>&]/g;
const MD_ENTITY: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;' };

/**
 * A value as inline Markdown text that renders exactly as the value and cannot leave its table cell:
 * markup characters are backslash-escaped, `<` `>` `&` become entities (no raw HTML), newlines become
 * `<br>`, and a leading `- `, `+ `, `# `, `---` or `1. ` cannot start a list, heading or rule.
 */
export function escapeMarkdown(value: unknown): string {
  return String(value ?? '')
    .replace(CONTROLS, '\uFFFD')
    .replace(MD_INLINE, (c) => MD_ENTITY[c] ?? `\\${c}`)
    .replace(/^[ \t]+/, '')
    .replace(/^([-+=#])(?=[\s\-+=#]|$)/, '\\$1')
    .replace(/^(\d+)([.)])(?=\s|$)/, '$1\\$2')
    .replace(/\r\n|\r|\n/g, '<br>');
}

/**
 * A fenced Markdown code block showing `text` verbatim: the fence is one backtick longer than the
 * longest run of backticks inside, so no line of the text can close it early.
 */
export function markdownCodeBlock(text: unknown): string {
  const body = String(Array.isArray(text) ? text.join('\n') : (text ?? ''))
    .replace(CONTROLS, '\uFFFD')
    .replace(/\r\n?/g, '\n')
    .replace(/\n+$/, '');
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}text\n${body}\n${fence}`;
}
