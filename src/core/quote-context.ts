/**
 * Quote a value for where it lands in a shell command (see shell-lexer.ts). Each form makes the shell
 * hand the value to the command byte for byte and never read it as code:
 * - a bare word: core quote() (single quotes; always quoted where a command name would be, so that
 *   `NAME=value` or `if` cannot become an assignment or a keyword, and inside `[[ ]]`, where an
 *   unquoted `-n` or `!` is an operator);
 * - inside "…": a backslash before `$`, backtick, `"` and backslash, the only characters special there;
 * - inside '…': close, escaped quote, reopen (`'\''`), since nothing else is special there;
 * - an unquoted here-document body: a backslash before `$`, backtick and backslash (quotes are plain text
 *   there); a quoted one (`<<'EOF'`) takes the value as it is. A value line that is the delimiter is
 *   caught by the lexer, which sees the quoted value;
 * - arithmetic: only an integer (written back in decimal, negative ones in parentheses); anything else
 *   would be evaluated, and bash runs `$(…)` inside an array subscript there;
 * - a comment: as it is, on one line (a newline would end the comment and start a command).
 */
import { InputError } from './errors.js';
import { quote, singleQuote } from './quote.js';
import type { Landing } from './shell-lexer.js';

export type QuotableLanding = Exclude<Landing, { kind: 'refused' }>;

export function quoteFor(landing: QuotableLanding, text: string): string {
  switch (landing.kind) {
    case 'bare':
      return landing.quoteAlways ? singleQuote(text) : quote(text);
    case 'double':
      return text.replace(/[$`"\\]/g, '\\$&');
    case 'single':
      return text.replace(/'/g, `'\\''`);
    case 'heredoc':
      return landing.quoted ? text : text.replace(/[$`\\]/g, '\\$&');
    case 'arithmetic': {
      if (!/^\s*[+-]?[0-9]+\s*$/.test(text))
        throw new InputError(
          "in arithmetic ($(( )), (( )), $[ ], an indexed array's subscript) a value must be an integer; anything else is evaluated",
        );
      const n = BigInt(text.trim());
      return n < 0n ? `(${n})` : String(n);
    }
    case 'comment':
      if (text.includes('\n'))
        throw new InputError('in a comment a value must not contain a newline, which would end it');
      return text;
  }
}
