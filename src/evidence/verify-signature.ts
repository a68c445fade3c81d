/**
 * The manifest's signature, and who made it. A valid signature by the key stored beside the manifest
 * only proves the files match each other: whoever changes them can re-sign and replace that key. So
 * the signer must also be trusted — a key this controller signed with (its keyring), or one the
 * responder hands over (`--public-key`, `--trusted-keys`) — or the evidence does not verify.
 */
import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { EvidencePaths } from './layout.js';
import type { SigningInfo } from './manifest.js';
import type { TrustedKeys } from './keyring.js';
import { checkSignature, loadPublicKey, publicKeyFingerprint, publicKeyPem } from './signing.js';
import type { KeyUsed, ProblemList, Signer, VerifyResult } from './verify-types.js';

export interface Trust {
  /** `--public-key`: the signature is checked with this key only. */
  given?: { key: KeyObject; file: string };
  keyring: TrustedKeys;
  keyringDir: string;
  trustedKeys: TrustedKeys;
}

type SignatureResult = Pick<VerifyResult, 'signature' | 'key' | 'signer'>;

export function checkManifestSignature(
  v: ProblemList,
  paths: EvidencePaths,
  bytes: Buffer,
  signing: Partial<SigningInfo> | undefined,
  trust: Trust,
): SignatureResult {
  const { signature: sigFile } = paths;
  const named = typeof signing?.publicKeySha256 === 'string' ? signing.publicKeySha256 : undefined;
  if (!existsSync(sigFile)) {
    v.problem('signature-missing', 'manifest.sig is missing: the manifest is not signed', { file: sigFile });
    return { signature: 'missing', key: null, signer: null };
  }
  const stored = trust.given ? undefined : storedKey(v, paths, named);
  const trustedNamed = named ? (trust.keyring.get(named) ?? trust.trustedKeys.get(named)) : undefined;
  let used: { key: KeyObject; meta: Omit<KeyUsed, 'sha256'> } | undefined;
  if (trust.given) used = { key: trust.given.key, meta: { source: 'given', file: trust.given.file } };
  else if (stored) used = { key: stored, meta: { source: 'stored', file: v.rel(paths.publicKey) } };
  // The stored key is gone or unreadable, but a trusted key is the one the manifest names: check with that.
  else if (trustedNamed) used = { key: trustedNamed.key, meta: { source: 'trusted', file: trustedNamed.from } };
  if (!used) return { signature: 'unchecked', key: null, signer: null };

  const key: KeyUsed = { ...used.meta, sha256: publicKeyFingerprint(used.key) };
  const status = checkSignature(bytes, readFileSync(sigFile, 'latin1'), used.key);
  if (status === 'malformed')
    v.problem('signature-invalid', 'manifest.sig is not a well-formed Ed25519 signature (altered?)', { file: sigFile });
  if (status === 'invalid') {
    const other = named && named !== key.sha256 ? `; the manifest names key sha256 ${named}, not this one` : '';
    v.problem(
      'signature-invalid',
      `the signature does not match manifest.json with the ${key.source} key sha256 ${key.sha256}${other}`,
      { file: sigFile },
    );
  }
  const signer = signerOf(key, signing, trust);
  if (status === 'valid' && !signer.trusted)
    v.problem(
      'signer-untrusted',
      `signed by a ${signer.kind} key (sha256 ${signer.sha256}) that this controller did not make and was not told to trust (keyring ${trust.keyringDir}): whoever can write the run directory can re-sign it; if you know this key is genuine, pass it with --public-key or --trusted-keys`,
      { file: sigFile },
    );
  return { signature: status, key, signer };
}

function signerOf(key: KeyUsed, signing: Partial<SigningInfo> | undefined, trust: Trust): Signer {
  const kind = signing?.key === 'run' || signing?.key === 'file' ? signing.key : 'unknown';
  const base = { sha256: key.sha256, kind } as const;
  if (key.source === 'given') return { ...base, trusted: true, trustedBy: 'given', trustedFrom: key.file };
  const inRing = trust.keyring.get(key.sha256);
  if (inRing) return { ...base, trusted: true, trustedBy: 'keyring', trustedFrom: inRing.from };
  const listed = trust.trustedKeys.get(key.sha256);
  if (listed) return { ...base, trusted: true, trustedBy: 'trusted-keys', trustedFrom: listed.from };
  return { ...base, trusted: false, trustedBy: null, trustedFrom: null };
}

/** The stored public key, if it is exactly what finalize() wrote and the key the manifest names. */
function storedKey(v: ProblemList, paths: EvidencePaths, named: string | undefined): KeyObject | undefined {
  const file = paths.publicKey;
  if (!existsSync(file)) {
    v.problem('public-key-missing', 'manifest.pub.pem is missing: pass --public-key to check the signature', {
      file,
    });
    return undefined;
  }
  const text = readFileSync(file, 'latin1');
  let key: KeyObject;
  try {
    key = loadPublicKey(file);
  } catch (err) {
    v.problem('public-key-invalid', (err as Error).message, { file });
    return undefined;
  }
  if (publicKeyPem(key) !== text)
    v.problem('public-key-invalid', 'manifest.pub.pem was altered (not the exact text that was written)', { file });
  if (named && publicKeyFingerprint(key) !== named)
    v.problem(
      'public-key-invalid',
      `manifest.pub.pem (sha256 ${publicKeyFingerprint(key)}) is not the key the manifest names (${named})`,
      { file },
    );
  return key;
}
