/**
 * How a failed ControlMaster's stderr (OpenSSH 9.2 wording, LogLevel DEBUG1) becomes a ConnectionError
 * reason, and the host key read from its debug lines. The integration tests cover the host-key and
 * auth cases against real sshd; these pin the rest of the wording.
 */
import assert from 'node:assert/strict';
import { masterFailure, serverHostKey } from '../../src/transport/openssh/master-errors.js';
import { knownHostsValue, masterArgs } from '../../src/transport/openssh/options.js';

const KEY = 'debug1: Server host key: ssh-ed25519 SHA256:6lZHFICgVHxFPkg1LGLPeNemfgTzlue8gYpQg6+bQEQ\n';

const cases: { name: string; log: string; reason: string; says: RegExp }[] = [
  {
    name: 'unknown host key',
    log: `${KEY}No ED25519 host key is known for [127.0.0.2]:41573 and you have requested strict checking.\r\nHost key verification failed.\r\n`,
    reason: 'hostkey-unknown',
    says: /not known \(ssh-ed25519 SHA256:6lZH.*--accept-new/,
  },
  {
    name: 'changed host key',
    log:
      `${KEY}@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n` +
      '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n' +
      'Offending ED25519 key in /tmp/kh:1\nHost key verification failed.\n',
    reason: 'hostkey-changed',
    says: /presented ssh-ed25519 SHA256:6lZH.*does not match \/tmp\/kh:1\. Possible man-in-the-middle/,
  },
  {
    name: 'revoked host key',
    log: `${KEY}Host key ED25519-CERT SHA256:abc revoked by file /tmp/kh\nHost key verification failed.\n`,
    reason: 'hostkey-changed',
    says: /@revoked/,
  },
  {
    name: 'auth',
    log: 'root@127.0.0.2: Permission denied (publickey).\r\n',
    reason: 'auth',
    says: /authentication failed for h1 \(ssh: root@127\.0\.0\.2: Permission denied \(publickey\)\.\)/,
  },
  {
    name: 'refused',
    log: 'debug1: connect to address 127.0.0.1 port 1: Connection refused\nssh: connect to host 127.0.0.1 port 1: Connection refused\n',
    reason: 'refused',
    says: /connection refused by h1 \(ssh: ssh: connect to host 127\.0\.0\.1 port 1: Connection refused\)$/,
  },
  {
    name: 'dns',
    log: 'ssh: Could not resolve hostname nowhere.invalid: Name or service not known\n',
    reason: 'dns',
    says: /cannot resolve/,
  },
  {
    name: 'timeout',
    log: 'ssh: connect to host 10.0.0.1 port 22: Connection timed out\n',
    reason: 'timeout',
    says: /timed out/,
  },
  {
    name: 'ProxyCommand that exits',
    log: 'kex_exchange_identification: Connection closed by remote host\nConnection closed by UNKNOWN port 65535\n',
    reason: 'closed',
    says: /closed during handshake/,
  },
  {
    name: 'no common kex',
    log: 'Unable to negotiate with 127.0.0.2 port 22: no matching key exchange method found. Their offer: sntrup761x25519-sha512@openssh.com\n',
    reason: 'other',
    says: /no matching key exchange method/,
  },
  { name: 'silence', log: '', reason: 'other', says: /exited without saying why/ },
];

describe('openssh master failures', () => {
  for (const c of cases) {
    it(`maps ${c.name} to ${c.reason}`, () => {
      const e = masterFailure('h1', 'h1', c.log);
      assert.equal(e.reason, c.reason);
      assert.match(e.message, c.says);
      assert.doesNotMatch(e.message, /debug1/);
    });
  }

  it('reads the verified key from a plain or a certified host key line', () => {
    assert.equal(serverHostKey(KEY), 'ssh-ed25519 SHA256:6lZHFICgVHxFPkg1LGLPeNemfgTzlue8gYpQg6+bQEQ');
    const cert =
      'debug1: Server host certificate: ssh-ed25519-cert-v01@openssh.com SHA256:abc+/=, serial 0 ID "x" CA ...\n';
    assert.equal(serverHostKey(cert), 'ssh-ed25519-cert-v01@openssh.com SHA256:abc+/=');
    assert.equal(serverHostKey('debug1: Connecting to x\n'), undefined);
  });
});

describe('openssh command lines', () => {
  it('puts our host-key and batch options before the inventory words, which cannot override them', () => {
    const args = masterArgs(
      { name: 'h', destination: '-oops', args: ['-o', 'StrictHostKeyChecking=no', '-o', 'BatchMode=no'] },
      { acceptNew: false, knownHostsFiles: ['/a b/kh', '/c%d'] },
      '/tmp/s',
      false,
    );
    const at = (opt: string) => args.findIndex((a) => a.startsWith(opt));
    assert.ok(at('StrictHostKeyChecking=yes') < at('StrictHostKeyChecking=no'));
    assert.ok(at('BatchMode=yes') < at('BatchMode=no'));
    assert.ok(args.includes('UserKnownHostsFile="/a b/kh" "/c%%d"'));
    assert.deepEqual(args.slice(-2), ['--', '-oops'], 'a destination is never read as an option');
    assert.ok(!args.some((a) => a === 'StrictHostKeyChecking=accept-new'));
  });

  it('refuses a known_hosts name ssh could not read back', () => {
    assert.throws(() => knownHostsValue(['/a"b']), /contains a quote/);
  });
});
