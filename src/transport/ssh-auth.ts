/**
 * Authentication material for one connection, tried in OpenSSH's order: key file(s), then the
 * ssh-agent (`SSH_AUTH_SOCK`), then a password. An encrypted key asks its passphrase once, through
 * the injected provider (never a prompt of our own, so nothing interleaves with parallel output);
 * the answer is cached per key file, and concurrent hosts share one pending question.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { AuthMethod, ParsedKey } from 'ssh2';
import { ConnectionError } from '../core/errors.js';

/** Asks for the passphrase of an encrypted private key. The answer is a secret. */
export type PassphraseProvider = (keyPath: string) => Promise<string>;

/** Loads private keys, asking each encrypted key's passphrase at most once. */
export class KeyLoader {
  private readonly keys = new Map<string, Promise<ParsedKey | null>>();

  constructor(private readonly passphrase?: PassphraseProvider) {}

  /**
   * The parsed key at `file`. `null` when the key is encrypted and no provider is configured or the
   * file is missing and `optional`. Rejects with ConnectionError `auth` for a wrong passphrase.
   */
  load(hostName: string, file: string, optional = false): Promise<ParsedKey | null> {
    const abs = path.resolve(file.replace(/^~(?=\/|$)/, os.homedir()));
    let p = this.keys.get(abs);
    if (!p) {
      p = this.read(abs, optional);
      this.keys.set(abs, p);
    }
    return p.catch((err: unknown) => {
      // Re-label with the host asking; the cached failure itself is shared.
      throw err instanceof ConnectionError
        ? new ConnectionError(hostName, err.message.replace(/^[^:]*: /, ''), 'auth')
        : err;
    });
  }

  private async read(file: string, optional: boolean): Promise<ParsedKey | null> {
    let data: Buffer;
    try {
      data = await fs.readFile(file);
    } catch (err) {
      if (optional) return null;
      throw new ConnectionError('-', `cannot read private key ${file}: ${(err as Error).message}`, 'auth');
    }
    const first = pick(ssh2.utils.parseKey(data));
    if (!(first instanceof Error)) return first;
    if (!/passphrase|encrypted/i.test(first.message)) {
      throw new ConnectionError('-', `cannot parse private key ${file}: ${first.message}`, 'auth');
    }
    if (!this.passphrase) return null;
    const secret = await this.passphrase(file);
    const parsed = pick(ssh2.utils.parseKey(data, secret));
    if (parsed instanceof Error) {
      // Never echo the passphrase; ssh2's message does not contain it either.
      throw new ConnectionError('-', `cannot decrypt private key ${file} (wrong passphrase?)`, 'auth');
    }
    return parsed;
  }
}

function pick(k: ParsedKey | ParsedKey[] | Error): ParsedKey | Error {
  return Array.isArray(k) ? (k[0] ?? new Error('no key in file')) : k;
}

/** OpenSSH's default identity files, used when no key file is configured. */
export const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((f) => path.join(os.homedir(), '.ssh', f));

export interface AuthInput {
  hostName: string;
  user: string;
  privateKeyFile?: string;
  /**
   * The ssh config's key files (`ssh -G`), tried after privateKeyFile and skipped when missing, as
   * ssh does; without them, OpenSSH's default files.
   */
  identityFiles?: readonly string[];
  password?: string;
  /** Agent socket path; undefined or empty disables the agent. */
  agent?: string;
}

/** The ordered list of methods ssh2 tries (its array form of `authHandler`). */
export async function authMethods(loader: KeyLoader, input: AuthInput): Promise<AuthMethod[]> {
  const methods: AuthMethod[] = [];
  const optional = input.identityFiles ?? (input.privateKeyFile ? [] : DEFAULT_IDENTITIES);
  if (input.privateKeyFile) await addKey(loader, input, methods, input.privateKeyFile, false);
  for (const file of optional) await addKey(loader, input, methods, file, true);
  if (input.agent) methods.push({ type: 'agent', username: input.user, agent: input.agent } as AuthMethod);
  if (input.password !== undefined)
    methods.push({ type: 'password', username: input.user, password: input.password } as AuthMethod);
  if (!methods.length) {
    const what = input.privateKeyFile
      ? `key ${input.privateKeyFile} is encrypted and no passphrase provider is set`
      : 'no key file, agent or password';
    throw new ConnectionError(input.hostName, `no way to authenticate as ${input.user}: ${what}`, 'auth');
  }
  return methods;
}

async function addKey(loader: KeyLoader, input: AuthInput, methods: AuthMethod[], file: string, optional: boolean) {
  const key = await loader.load(input.hostName, file, optional);
  if (key) methods.push({ type: 'publickey', username: input.user, key } as AuthMethod);
}
