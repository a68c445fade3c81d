/**
 * The forms a secret commonly takes on its way into output: a script that base64s or hex-dumps a
 * credential, a URL that carries it percent-encoded, a value read with its newline trimmed, a
 * reversed string. The redactor hides each of them as it hides the secret itself.
 */

/** The secret and its common transforms, without duplicates. */
export function secretVariants(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const base64 = bytes.toString('base64');
  const base64url = bytes.toString('base64url');
  const hex = bytes.toString('hex');
  const uri = encodeURIComponent(secret);
  return [
    ...new Set([
      secret,
      secret.trim(),
      [...secret].reverse().join(''),
      base64,
      base64.replace(/=+$/, ''),
      base64url,
      `${base64url}${'='.repeat(base64.length - base64url.length)}`,
      hex,
      hex.toUpperCase(),
      uri,
      // application/x-www-form-urlencoded (a form body, a query string built by URLSearchParams).
      uri.replace(/%20/g, '+'),
    ]),
  ];
}
