/**
 * Redaction safety net. Events are built never to carry secrets, but a password can still leak
 * through command output (a sudo prompt echo, a script printing its env). Everything the journal
 * and the run directory write goes through a redactor built from the run's known secrets.
 */
import { secretVariants } from './secret-variants.js';
import { StreamRedactor } from './stream-redact.js';

/** Replaces every occurrence of any secret with `***`. */
export interface Redactor {
  (text: string): string;
  /** The same redaction for one byte stream written as it arrives; absent when there is no secret. */
  stream?: () => StreamRedactor;
}

/** Shorter "secrets" would mangle ordinary text (a 1-char password matches everywhere). */
const MIN_SECRET_LENGTH = 3;
/**
 * A transform of a secret must be longer still: a 3-character reversed or trimmed form would add
 * one more everyday string hidden everywhere, on top of the short secret itself.
 */
const MIN_VARIANT_LENGTH = MIN_SECRET_LENGTH + 1;

/**
 * Build a redactor over the secrets and their common transforms (secret-variants.ts), built once
 * here so each call stays linear in the text. Longer strings are replaced first so a secret
 * containing another is fully hidden.
 */
export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  const given = secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
  const variants = given.flatMap(secretVariants).filter((v) => v.length >= MIN_VARIANT_LENGTH);
  const list = [...new Set([...given, ...variants])].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  const redact: Redactor = (text) => {
    let out = text;
    for (const secret of list) if (out.includes(secret)) out = out.split(secret).join('***');
    return out;
  };
  const bytes = list.map((s) => Buffer.from(s, 'utf8').toString('latin1')).sort((a, b) => b.length - a.length);
  redact.stream = () => new StreamRedactor(bytes);
  return redact;
}
