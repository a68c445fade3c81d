/**
 * Which signing keys this controller trusts. Every key that signs a run here (a key made for the run,
 * or the responder's key file) has its PUBLIC half recorded in a local keyring when it signs; verify
 * trusts those, plus keys it is given (`--public-key`, `--trusted-keys`). A manifest re-signed with
 * any other key — say by someone who changed an artifact and replaced `manifest.pub.pem` — is then
 * reported as signed by an untrusted key instead of as intact. Private keys are never written.
 *
 * Location: `$FIREBREAK_KEYRING`, else `$FIREBREAK_HOME/keyring`, else `~/.firebreak/keyring`; one
 * `<sha256 of the key>.pub.pem` file per key, the directory owner-only (0700), the files 0400.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../core/index.js';
import { DIR_MODE, SEALED_FILE_MODE, writeFileAtomic } from './layout.js';
import { publicKeyFingerprint, publicKeyPem } from './signing.js';

export const KEYRING_ENV = 'FIREBREAK_KEYRING';

export function defaultKeyringDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env[KEYRING_ENV]) return env[KEYRING_ENV];
  return join(env.FIREBREAK_HOME || join(homedir(), '.firebreak'), 'keyring');
}

const KEY_FILE = /^([0-9a-f]{64})\.pub\.pem$/;

/** Record a public key; returns its file. Idempotent. */
export function addToKeyring(dir: string, key: KeyObject): string {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  if (lstatSync(dir).isSymbolicLink()) throw new Error(`${dir} is a symbolic link; refusing to use it as the keyring`);
  chmodSync(dir, DIR_MODE);
  const file = join(dir, `${publicKeyFingerprint(key)}.pub.pem`);
  if (!existsSync(file)) writeFileAtomic(file, publicKeyPem(key), dir, SEALED_FILE_MODE, true);
  return file;
}

/** At signing: a keyring that cannot be written must not cost the run its seal; the caller logs why instead. */
export function recordSigningKey(dir: string, key: KeyObject): { file: string } | { error: string } {
  try {
    return { file: addToKeyring(dir, key) };
  } catch (err) {
    return { error: `could not record the public key in the keyring ${dir}: ${(err as Error).message}` };
  }
}

/** A set of trusted keys by fingerprint, and where each came from. */
export type TrustedKeys = Map<string, { key: KeyObject; from: string }>;

/**
 * The keyring's keys. A file whose key does not hash to its name is ignored (not trusted), and so is
 * the whole keyring when others may write to it: anyone who can add a key there could vouch for a run.
 */
export function readKeyring(dir: string): { keys: TrustedKeys; warning?: string } {
  const keys: TrustedKeys = new Map();
  if (!existsSync(dir)) return { keys };
  const mode = statSync(dir).mode & 0o777;
  if (mode & 0o022)
    return {
      keys,
      warning: `keyring ${dir} is writable by others (mode ${mode.toString(8)}): its keys are not trusted`,
    };
  for (const name of readdirSync(dir)) {
    const m = KEY_FILE.exec(name);
    if (!m) continue;
    try {
      const key = createPublicKey(readFileSync(join(dir, name)));
      if (key.asymmetricKeyType === 'ed25519' && publicKeyFingerprint(key) === m[1])
        keys.set(m[1] as string, { key, from: dir });
    } catch {
      // An unreadable file trusts nobody.
    }
  }
  return { keys };
}

const PEM_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g;

/** A file of PEM public keys (`--trusted-keys`): every block must be an Ed25519 public key. */
export function readTrustedKeysFile(file: string): TrustedKeys {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read the trusted keys file ${file}: ${(err as Error).message}`);
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (!blocks.length) throw new InputError(`the trusted keys file ${file} holds no PEM public key (BEGIN PUBLIC KEY)`);
  const keys: TrustedKeys = new Map();
  blocks.forEach((pem, i) => {
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (err) {
      throw new InputError(`${file}: key ${i + 1} cannot be read: ${(err as Error).message}`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new InputError(`${file}: key ${i + 1} is not an Ed25519 key`);
    keys.set(publicKeyFingerprint(key), { key, from: file });
  });
  return keys;
}
