/**
 * Ansible Vault decryption (format 1.1 and 1.2, cipher AES256), as ansible/parsing/vault/__init__.py
 * writes it: a header line `$ANSIBLE_VAULT;1.1;AES256[;LABEL]`, then hex lines that unhexlify to
 * `hex(salt)\nhex(hmac)\nhex(ciphertext)`. PBKDF2-SHA256 (10,000 rounds) of the password and salt
 * gives 80 bytes: the AES-256 key, the HMAC-SHA256 key and the CTR counter block; the HMAC covers
 * the ciphertext and is checked before anything is decrypted; the plaintext is PKCS#7 padded.
 *
 * Errors never contain the password or any plaintext: they name `what` (a file, a variable).
 */
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { InputError } from '../core/errors.js';

export const VAULT_HEADER = '$ANSIBLE_VAULT';
const PBKDF2_ROUNDS = 10_000;
const KEY_BYTES = 32;
const IV_BYTES = 16;

/** Whether text is vault data (Ansible's `is_encrypted`: it starts with the header). */
export function isVaultText(text: string): boolean {
  return text.startsWith(VAULT_HEADER);
}

/** The vault id label of a 1.2 envelope, if any. */
export function vaultLabel(text: string): string | undefined {
  return headerFields(text)[3];
}

/**
 * Decrypts vault text with `password`. Throws InputError naming `what` on a malformed envelope,
 * a wrong password (the HMAC does not match) or bad padding.
 */
export function decryptVault(text: string, password: string, what: string): string {
  const [marker, version, cipher] = headerFields(text);
  if (marker !== VAULT_HEADER || (version !== '1.1' && version !== '1.2'))
    throw new InputError(`${what}: not Ansible Vault data of format 1.1 or 1.2`);
  if (cipher !== 'AES256') throw new InputError(`${what}: vault cipher ${String(cipher)} is not supported (AES256 is)`);
  const { salt, hmac, ciphertext } = envelopeParts(text, what);
  const derived = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, PBKDF2_ROUNDS, 2 * KEY_BYTES + IV_BYTES, 'sha256');
  const aesKey = derived.subarray(0, KEY_BYTES);
  const hmacKey = derived.subarray(KEY_BYTES, 2 * KEY_BYTES);
  const iv = derived.subarray(2 * KEY_BYTES);
  const expected = createHmac('sha256', hmacKey).update(ciphertext).digest();
  if (hmac.length !== expected.length || !timingSafeEqual(hmac, expected))
    throw new InputError(`${what}: vault decryption failed: wrong vault password, or the data was altered`);
  const decipher = createDecipheriv('aes-256-ctr', aesKey, iv);
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  return unpad(padded, what).toString('utf8');
}

function headerFields(text: string): string[] {
  const first = text.split(/\r?\n/, 1)[0] ?? '';
  return first
    .trim()
    .split(';')
    .map((f) => f.trim());
}

function envelopeParts(text: string, what: string): { salt: Buffer; hmac: Buffer; ciphertext: Buffer } {
  const body = text.split(/\r?\n/).slice(1).join('').trim();
  const inner = unhex(body, what).toString('latin1');
  const [salt, hmac, ciphertext] = inner.split('\n', 3).length === 3 ? splitThree(inner) : [];
  if (salt === undefined || hmac === undefined || ciphertext === undefined)
    throw new InputError(`${what}: malformed vault data (expected salt, HMAC and ciphertext)`);
  return { salt: unhex(salt, what), hmac: unhex(hmac, what), ciphertext: unhex(ciphertext, what) };
}

/** Python's `split(b"\n", 2)`: the third part keeps any further newlines. */
function splitThree(s: string): [string, string, string] {
  const a = s.indexOf('\n');
  const b = s.indexOf('\n', a + 1);
  return [s.slice(0, a), s.slice(a + 1, b), s.slice(b + 1)];
}

function unhex(hex: string, what: string): Buffer {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex))
    throw new InputError(`${what}: malformed vault data (not hexadecimal)`);
  return Buffer.from(hex, 'hex');
}

/** Strips PKCS#7 padding (16-byte blocks), refusing anything that is not valid padding. */
function unpad(buf: Buffer, what: string): Buffer {
  const n = buf.length > 0 ? (buf[buf.length - 1] as number) : 0;
  const valid =
    buf.length % IV_BYTES === 0 &&
    n >= 1 &&
    n <= IV_BYTES &&
    n <= buf.length &&
    buf.subarray(buf.length - n).every((b) => b === n);
  if (!valid) throw new InputError(`${what}: vault decryption failed: invalid padding`);
  return buf.subarray(0, buf.length - n);
}
