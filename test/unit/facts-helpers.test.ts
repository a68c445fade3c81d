/**
 * What the fact fixture cases (test/unit/facts.test.ts) cannot state: helpers called directly,
 * findings options other than the ones the facts use, a fact across two recordings, and input that
 * is not text at all.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  authLogFindings,
  keyFingerprint,
  outboundSshFindings,
  parseAuthLog,
  parseAuthorizedKeys,
  parseLast,
  parseSs,
  parseWho,
  sections,
  splitEndpoint,
} from '../../src/facts/index.js';

const fx = (p: string): string => readFileSync(join(import.meta.dirname, '../fixtures/facts', p), 'utf8');

describe('facts: helpers and options', () => {
  it('splits `==> path <==` listings: symlink headers, text before the first header dropped', () => {
    const s = sections('noise\n==> /a <==\nx\n\n==> /b -> ../c <==\n==> /d <==\ny');
    assert.deepEqual(s, [
      { path: '/a', lines: ['x', ''] },
      { path: '/b', target: '../c', lines: [] },
      { path: '/d', lines: ['y'] },
    ]);
  });

  it('splits IPv6, mapped IPv4 and interface-scoped endpoints', () => {
    assert.deepEqual(splitEndpoint('[2001:db8:bad::5]:59325'), { address: '2001:db8:bad::5', port: 59325 });
    assert.deepEqual(splitEndpoint('[::ffff:192.0.2.7]:22'), { address: '192.0.2.7', port: 22 });
    assert.deepEqual(splitEndpoint('127.0.0.53%lo:53'), { address: '127.0.0.53', port: 53 });
    assert.deepEqual(splitEndpoint('*:*'), { address: '*', port: '*' });
  });

  it('outbound SSH and failed-login thresholds can be changed', () => {
    const tanp = parseSs(fx('sockets/outbound-scan-ss-tanp.txt'));
    assert.equal(outboundSshFindings('h', tanp)[0]?.severity, 'high', 'defaults: 8 connections');
    // Below the raised thresholds it is not high, but a process that is no SSH client stays medium.
    assert.equal(outboundSshFindings('h', tanp, { highTargets: 10, highConnections: 10 })[0]?.severity, 'medium');
    const many = Array.from(
      { length: 120 },
      (_, i) =>
        `Nov 21 19:25:${String(i % 60).padStart(2, '0')} h sshd[${1000 + i}]: Failed password for root from 192.0.2.9 port ${40000 + i} ssh2`,
    ).join('\n');
    assert.equal(authLogFindings('h', parseAuthLog(many))[0]?.severity, 'high');
    assert.equal(authLogFindings('h', parseAuthLog(many), { high: 500 })[0]?.severity, 'medium');
  });

  it('fingerprints a key the way sshd logged it (authorized_keys and auth.log recordings agree)', () => {
    const keys = parseAuthorizedKeys(fx('authorized-keys/debian12-homes.txt'));
    const logged = /Accepted publickey for root .* ED25519 (SHA256:\S+)/.exec(
      fx('auth-log/debian12-rsyslog-auth.log'),
    )?.[1];
    assert.ok(logged);
    assert.equal(keys.find((k) => k.comment === 'root@kali')?.fingerprint, logged);
    assert.deepEqual(keyFingerprint('ssh-rsa', '!!!'), { valid: false });
  });

  it('never throws on input that is not text', () => {
    for (const bad of [undefined, null, 42] as unknown as string[]) {
      assert.deepEqual(parseAuthLog(bad), []);
      assert.deepEqual(parseLast(bad), []);
      assert.deepEqual(parseWho(bad), []);
      assert.deepEqual(parseSs(bad), []);
    }
  });
});
