/**
 * Vaulted inventory values while an inventory loads. A parser that meets vault data leaves a
 * `VaultedValue` where the value goes: an inline `!vault |` scalar (ciphertext, decrypted later), or
 * a value read from a vault-encrypted file (already clear, but still a secret). Once every source
 * is read, the loader checks each one against the password (naming the variable when there is none),
 * notes which host variables came from vault, and replaces them by their clear values.
 */
import type { ScalarTag } from 'yaml';
import { InputError, type ValidationIssue } from '../core/errors.js';
import { decryptVault } from './vault.js';

/** A value that came from Ansible Vault. */
export class VaultedValue {
  private clear: { value: unknown } | undefined;

  private constructor(
    /** The file the vault data is in. */
    readonly file: string,
    private readonly ciphertext: string | undefined,
    clear?: { value: unknown },
  ) {
    this.clear = clear;
  }

  /** Inline vault text, decrypted on first use. */
  static encrypted(file: string, ciphertext: string): VaultedValue {
    return new VaultedValue(file, ciphertext);
  }

  /** A value read from a vault-encrypted file. */
  static decrypted(file: string, value: unknown): VaultedValue {
    return new VaultedValue(file, undefined, { value });
  }

  /** Whether the clear value is known (read from a vaulted file, or already decrypted). */
  get isOpen(): boolean {
    return this.clear !== undefined;
  }

  /** Decrypts once (PBKDF2 is slow on purpose; a group's secret is shared by every host). Throws InputError. */
  open(password: string): void {
    if (this.clear || this.ciphertext === undefined) return;
    this.clear = { value: decryptVault(this.ciphertext, password, this.file) };
  }

  /** Inline vault text (not a value from a vaulted file), as Ansible's JSON shows it: `{"__ansible_vault": text}`. */
  get ansibleJson(): { __ansible_vault: string } | undefined {
    return this.ciphertext !== undefined ? { __ansible_vault: this.ciphertext } : undefined;
  }

  /** The clear value; only after `open`. */
  get value(): unknown {
    if (!this.clear) throw new Error('vaulted value read before it was decrypted (this is a bug)');
    return this.clear.value;
  }
}

/** The YAML `!vault` tag, producing VaultedValues that know their file. */
export function vaultTag(file: string): ScalarTag {
  return {
    tag: '!vault',
    identify: (v) => v instanceof VaultedValue,
    resolve: (text: string) => VaultedValue.encrypted(file, text) as unknown as string,
  };
}

/** Every VaultedValue inside a value (mappings, lists), in order. */
export function vaultedIn(v: unknown, out: VaultedValue[] = []): VaultedValue[] {
  if (v instanceof VaultedValue) {
    out.push(v);
    if (v.isOpen) vaultedIn(v.value, out);
  } else if (Array.isArray(v)) for (const x of v) vaultedIn(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) vaultedIn(x, out);
  return out;
}

/**
 * The value with every (opened) VaultedValue replaced by its clear value; with `asAnsible`, inline
 * vault values become their ciphertext as ansible-inventory prints them (values from vaulted files
 * stay clear, as there).
 */
export function reveal(v: unknown, asAnsible = false): unknown {
  if (v instanceof VaultedValue) return (asAnsible && v.ansibleJson) || reveal(v.value, asAnsible);
  if (Array.isArray(v)) return v.map((x) => reveal(x, asAnsible));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, reveal(x, asAnsible)]));
  return v;
}

/**
 * Opens the vaulted values of one variable (`owner` says whose: "group web", "host db1"); without a
 * password, or when decryption fails, an issue names the variable, its owner and the file.
 */
export function openVariable(
  key: string,
  value: unknown,
  owner: string,
  password: string | undefined,
  issues: ValidationIssue[],
): void {
  for (const vv of vaultedIn(value)) {
    if (vv.isOpen) continue;
    if (password === undefined) {
      issues.push(vaultIssue(vv.file, `variable ${key} of ${owner} is vault-encrypted: ${NEED_PASSWORD}`));
      continue;
    }
    try {
      vv.open(password);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      issues.push(vaultIssue(vv.file, `variable ${key} of ${owner}: ${e.message.replace(`${vv.file}: `, '')}`));
    }
  }
}

/** The clear text of a vault-encrypted file, or undefined with an issue naming the file. */
export function openVaultFile(
  text: string,
  file: string,
  password: string | undefined,
  issues: ValidationIssue[],
): string | undefined {
  if (password === undefined) {
    issues.push(vaultIssue(file, `vault-encrypted file: ${NEED_PASSWORD}`));
    return undefined;
  }
  try {
    return decryptVault(text, password, file);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    issues.push(vaultIssue(file, e.message.replace(`${file}: `, '')));
    return undefined;
  }
}

/** How to give the password, for messages. */
export const NEED_PASSWORD =
  'no vault password given (--vault-password-file FILE, --ask-vault-pass or ANSIBLE_VAULT_PASSWORD_FILE)';

export function vaultIssue(file: string, message: string): ValidationIssue {
  return { code: 'vault', path: '', message, severity: 'error', file };
}
