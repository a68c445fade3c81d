/**
 * The responder's baseline of expected SSH keys (`collect: {known_keys: […]}`): fingerprints as
 * `ssh-keygen -l` prints them (`SHA256:…`) or whole public key lines, as in an authorized_keys file.
 * Against it, every `ssh.authorized_key` finding says whether its key is known; an unknown key is
 * what an intruder adds to keep a way in, so it is high for root and medium for other accounts.
 * Without a baseline the findings stay as the fact made them (root low, others info).
 */
import { z } from 'zod';
import type { Finding } from '../core/index.js';
import { keyFingerprint } from '../facts/index.js';

const KEY_LINE = /^(?:\S+\s+)?((?:ssh|ecdsa|sk)-\S+)\s+([A-Za-z0-9+/]+={0,2})(?:\s|$)/;

/** A known key: a fingerprint, or a public key line (options before the type allowed). */
export const knownKey = z
  .string()
  .trim()
  .refine((v) => /^SHA256:[A-Za-z0-9+/]{43}$/.test(v) || KEY_LINE.test(v), {
    message: 'a key fingerprint (SHA256:… as ssh-keygen -l prints it) or a public key line (ssh-ed25519 AAAA… comment)',
  });

/** The fingerprint of an entry of `known_keys`. */
export function knownFingerprint(entry: string): string | undefined {
  const v = entry.trim();
  if (v.startsWith('SHA256:')) return v;
  const m = KEY_LINE.exec(v);
  return m ? keyFingerprint(m[1] as string, m[2] as string).fingerprint : undefined;
}

/** Mark each authorized key known or not; unknown keys become high (root) or medium. */
export function applyKnownKeys(findings: readonly Finding[], known: readonly string[] | undefined): Finding[] {
  if (!known) return [...findings];
  const fingerprints = new Set(known.map(knownFingerprint).filter((f): f is string => f !== undefined));
  return findings.map((f) => {
    if (f.kind !== 'ssh.authorized_key') return f;
    const isKnown = typeof f.detail.fingerprint === 'string' && fingerprints.has(f.detail.fingerprint);
    if (isKnown) return { ...f, detail: { ...f.detail, known: true } };
    const severity = f.detail.user === 'root' ? 'high' : 'medium';
    return { ...f, severity, summary: `${f.summary} — not in the known keys`, detail: { ...f.detail, known: false } };
  });
}
