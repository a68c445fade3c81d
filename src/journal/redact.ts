/**
 * Redaction safety net. Events are built never to carry secrets, but a password can still leak
 * through command output (a sudo prompt echo, a script printing its env). Everything the journal
 * and the run directory write goes through a redactor built from the run's known secrets.
 */

/** Replaces every occurrence of any secret with `***`. */
export type Redactor = (text: string) => string;

/** Shorter "secrets" would mangle ordinary text (a 1-char password matches everywhere). */
const MIN_SECRET_LENGTH = 3;

/** Build a redactor; longer secrets are replaced first so a secret containing another is fully hidden. */
export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  const list = [
    ...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH)),
  ].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const secret of list) if (out.includes(secret)) out = out.split(secret).join('***');
    return out;
  };
}
