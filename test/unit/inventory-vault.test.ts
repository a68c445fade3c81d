/**
 * Vault decryption on texts recorded from real `ansible-vault` (test/fixtures/vault.ts); then the ways it must refuse: wrong password, altered data, bad padding.
 * test/integration/inventory-sources.test.ts checks against freshly made ansible-vault output.
 */
import assert from 'node:assert/strict';
import { InputError } from '../../src/core/errors.js';
import { decryptVault, isVaultText, vaultLabel } from '../../src/inventory/vault.js';
import { encryptRaw, encryptText, envelope, FILE, PASSWORD, V11, V12 } from '../fixtures/vault.js';

/** The three parts of a vault body, to alter one and put it back together. */
function parts(text: string): { header: string; salt: Buffer; hmac: Buffer; ciphertext: Buffer } {
  const [header, ...lines] = text.trim().split('\n');
  const [salt, hmac, ciphertext] = Buffer.from(lines.join(''), 'hex').toString('latin1').split('\n');
  return {
    header: header as string,
    salt: Buffer.from(salt as string, 'hex'),
    hmac: Buffer.from(hmac as string, 'hex'),
    ciphertext: Buffer.from(ciphertext as string, 'hex'),
  };
}

const refuses = (text: string, message: RegExp) => () =>
  assert.throws(
    () => decryptVault(text, PASSWORD, 'group_vars/db.yml'),
    (e: unknown) => e instanceof InputError && message.test(e.message) && e.message.startsWith('group_vars/db.yml: '),
  );

describe('ansible vault decryption', () => {
  it('decrypts format 1.1 (encrypt_string)', () => {
    assert.equal(decryptVault(V11, PASSWORD, 'x'), 'incident-token-1.1');
  });

  it('decrypts format 1.2 with a vault id label, UTF-8 intact', () => {
    assert.equal(vaultLabel(V12), 'prod');
    assert.equal(decryptVault(V12, PASSWORD, 'x'), 'labelled-1.2 ünïcode');
  });

  it('decrypts a vault-encrypted file', () => {
    assert.ok(isVaultText(FILE));
    assert.equal(decryptVault(FILE, PASSWORD, 'x'), 'a: 1\nb: two\n');
  });

  it('refuses a wrong password, naming the file and not the password', () => {
    assert.throws(
      () => decryptVault(V11, 'not-the-password', 'group_vars/db.yml'),
      (e: unknown) =>
        e instanceof InputError &&
        /^group_vars\/db\.yml: vault decryption failed: wrong vault password/.test(e.message) &&
        !e.message.includes('not-the-password'),
    );
  });

  it('refuses altered ciphertext (HMAC mismatch)', () => {
    const p = parts(V11);
    p.ciphertext[0] = (p.ciphertext[0] as number) ^ 1;
    refuses(envelope(p.header, p.salt, p.hmac, p.ciphertext), /HMAC|altered/)();
  });

  it('refuses an altered HMAC', () => {
    const p = parts(V12);
    p.hmac[31] = (p.hmac[31] as number) ^ 0x80;
    refuses(envelope(p.header, p.salt, p.hmac, p.ciphertext), /altered/)();
  });

  it('refuses bad PKCS#7 padding even with a valid HMAC', () => {
    refuses(encryptRaw(Buffer.from('0123456789abcde\u0005', 'latin1'), PASSWORD), /invalid padding/)();
    refuses(encryptRaw(Buffer.from('0123456789abcdef', 'latin1'), PASSWORD), /invalid padding/)();
    refuses(encryptRaw(Buffer.from('short\u0003\u0003\u0003', 'latin1'), PASSWORD), /invalid padding/)();
  });

  it('accepts correct padding made the same way (control for the padding cases)', () => {
    assert.equal(
      decryptVault(
        encryptRaw(Buffer.from('0123456789\u0006\u0006\u0006\u0006\u0006\u0006', 'latin1'), PASSWORD),
        PASSWORD,
        'x',
      ),
      '0123456789',
    );
  });

  it('decrypts what the test encryptor makes (so the padding cases test the padding, not the encryptor)', () => {
    assert.equal(decryptVault(encryptText('x'.repeat(32), PASSWORD), PASSWORD, 'x'), 'x'.repeat(32));
  });

  it('refuses malformed envelopes and unknown formats', () => {
    refuses('$ANSIBLE_VAULT;1.1;AES256\nzz', /not hexadecimal/)();
    refuses(`$ANSIBLE_VAULT;1.1;AES256\n${Buffer.from('abcd').toString('hex')}`, /malformed/)();
    refuses(V11.replace('1.1', '1.3'), /format 1\.1 or 1\.2/)();
    refuses(V11.replace('AES256', 'AES'), /cipher AES is not supported/)();
  });
});
