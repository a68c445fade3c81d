/**
 * Ed25519 signing of the manifest with node:crypto. A key made for the run lives only in memory for
 * the moment of signing; its public half is written beside the manifest. A responder's own key (PEM,
 * e.g. `openssl genpkey -algorithm ed25519 -out key.pem`) proves *who* signed, when its public key is
 * given to the verifier from elsewhere; the stored public key only proves the files were not changed
 * by someone who could not also re-sign them.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError } from '../core/index.js';
import { sha256Hex } from './layout.js';

/** A private key ready to sign, with what the manifest and the custody log say about it. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  key: 'run' | 'file';
  /** The responder's key file, when given. */
  file?: string;
}

/** A fresh key pair for one run. */
export function generateRunKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, key: 'run' };
}

/** Load a responder's Ed25519 private key (PEM, optionally encrypted); bad input says what is wrong. */
export function loadSigningKey(file: string, passphrase?: string): SigningKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: readFileSync(file), format: 'pem', passphrase });
  } catch (err) {
    throw new InputError(
      `cannot load the evidence signing key ${file}: ${(err as Error).message} (expected an Ed25519 private key in PEM, e.g. from \`openssl genpkey -algorithm ed25519\`)`,
    );
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new InputError(
      `the evidence signing key ${file} is ${privateKey.asymmetricKeyType ?? 'not an asymmetric'} key; an Ed25519 key is required`,
    );
  }
  return { privateKey, publicKey: createPublicKey(privateKey), key: 'file', file };
}

/** Load a public key to verify with (a private key file also works: its public half is used). */
export function loadPublicKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(file));
  } catch (err) {
    throw new InputError(
      `cannot load the public key ${file}: ${(err as Error).message} (expected an Ed25519 public key in PEM)`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new InputError(`the public key ${file} is ${key.asymmetricKeyType} key; an Ed25519 key is required`);
  return key;
}

/** The canonical PEM text of a public key: what `manifest.pub.pem` holds, byte for byte. */
export function publicKeyPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

/** SHA-256 (hex) of the DER SubjectPublicKeyInfo: the key's fingerprint. */
export function publicKeyFingerprint(key: KeyObject): string {
  return sha256Hex(key.export({ type: 'spki', format: 'der' }));
}

/** The base64 text of `manifest.sig` (no newline: every byte of the file is signature). */
export function signManifest(bytes: Buffer, key: SigningKey): string {
  return sign(null, bytes, key.privateKey).toString('base64');
}

/**
 * Check a signature file's text over the manifest bytes. The text must be the canonical base64 of
 * the signature: Node's decoder skips stray characters, so a flipped byte could otherwise go unseen.
 */
export function checkSignature(
  bytes: Buffer,
  signatureText: string,
  key: KeyObject,
): 'valid' | 'invalid' | 'malformed' {
  const sig = Buffer.from(signatureText, 'base64');
  if (sig.length !== 64 || sig.toString('base64') !== signatureText) return 'malformed';
  return verify(null, bytes, key, sig) ? 'valid' : 'invalid';
}
