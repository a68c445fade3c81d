/**
 * The one shell quoter. Every value that reaches a remote shell goes through here.
 * POSIX single quotes: nothing inside is special except the quote itself, which we close, escape, reopen.
 */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Always in single quotes, even when nothing needs them (`'x'`). */
export function singleQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export function quote(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  if (text === '') return "''";
  if (SAFE.test(text)) return text;
  return singleQuote(text);
}

/** Quote each value and join with spaces, for argv-style command building. */
export function quoteArgs(values: readonly unknown[]): string {
  return values.map(quote).join(' ');
}
