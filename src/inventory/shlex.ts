/**
 * Python's `shlex.split(line, comments=True)` (POSIX mode), which Ansible's INI plugin uses to
 * split a host line into `name key=value ...` tokens. Quotes are removed here, before the value
 * is literal-evaluated, so `a="1"` is the number 1 in Ansible — we must do the same.
 */

/** Thrown for an unterminated quote or a trailing backslash (Python raises ValueError). */
export class ShlexError extends Error {}

export function shlexSplit(line: string): string[] {
  const tokens: string[] = [];
  let token = '';
  let inToken = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      if (inToken) tokens.push(token);
      token = '';
      inToken = false;
      i++;
    } else if (ch === '#') {
      // A comment runs to the end of the line, also right after a word (`a=b#c` gives `a=b`).
      break;
    } else if (ch === '\\') {
      if (i + 1 >= line.length) throw new ShlexError('No escaped character');
      token += line[i + 1];
      inToken = true;
      i += 2;
    } else if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShlexError('No closing quotation');
      token += line.slice(i + 1, end);
      inToken = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      let closed = false;
      while (i < line.length) {
        const c = line[i] as string;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === '\\' && i + 1 < line.length) {
          const n = line[i + 1] as string;
          // Inside double quotes only \" and \\ are escapes; any other backslash stays.
          token += n === '"' || n === '\\' ? n : c + n;
          i += 2;
          continue;
        }
        token += c;
        i++;
      }
      if (!closed) throw new ShlexError('No closing quotation');
      inToken = true;
    } else {
      token += ch;
      inToken = true;
      i++;
    }
  }
  if (inToken) tokens.push(token);
  return tokens;
}
