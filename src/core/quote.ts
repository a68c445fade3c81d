/**
 * The one shell quoter. Every value that reaches a remote shell goes through here.
 * POSIX single quotes: nothing inside is special except the quote itself, which we close, escape, reopen.
 */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function quote(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  if (text === '') return "''";
  if (SAFE.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Quote each value and join with spaces, for argv-style command building. */
export function quoteArgs(values: readonly unknown[]): string {
  return values.map(quote).join(' ');
}
