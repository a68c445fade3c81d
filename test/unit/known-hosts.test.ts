/**
 * known_hosts matching from fixtures: test/fixtures/known-hosts/<case>.json holds the file text,
 * the host:port asked for, the presented key (base64 blob) and the expected verdict.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkHostKey, fingerprint, parseKnownHosts, type HostKeyVerdict } from '../../src/transport/known-hosts.js';
import { parseJumpHop, parseSshCommonArgs } from '../../src/transport/ssh-args.js';

const dir = path.join(import.meta.dirname, '..', 'fixtures', 'known-hosts');

interface Case {
  knownHosts: string;
  host: string;
  port: number;
  key: string;
  expected: HostKeyVerdict;
}

describe('known_hosts matching (fixtures)', () => {
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    it(file.replace(/\.json$/, ''), () => {
      const c = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Case;
      const verdict = checkHostKey(parseKnownHosts(c.knownHosts), c.host, c.port, Buffer.from(c.key, 'base64'));
      assert.deepEqual(verdict, c.expected);
    });
  }

  it('fingerprints like ssh-keygen -l', () => {
    const c = JSON.parse(readFileSync(path.join(dir, 'plain-port-ok.json'), 'utf8')) as Case;
    assert.match(fingerprint(Buffer.from(c.key, 'base64')), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('ansible_ssh_common_args parsing', () => {
  const cases: Array<[string, ReturnType<typeof parseSshCommonArgs>]> = [
    ['-o ProxyJump=bastion', { proxyJump: ['bastion'] }],
    [
      '-o "ProxyJump=a@j1:2200,j2" -o StrictHostKeyChecking=no',
      { proxyJump: ['a@j1:2200', 'j2'], strictHostKeyChecking: 'no' },
    ],
    ["-J 'u@jump' -oUserKnownHostsFile=/tmp/kh", { proxyJump: ['u@jump'], userKnownHostsFile: '/tmp/kh' }],
    ['-o ProxyJump=none -o ServerAliveInterval=5', { proxyJump: [] }],
    ['', {}],
  ];
  for (const [input, expected] of cases)
    it(JSON.stringify(input), () => assert.deepEqual(parseSshCommonArgs(input), expected));

  it('parses jump hops', () => {
    assert.deepEqual(parseJumpHop('ops@10.0.0.1:2222'), { user: 'ops', host: '10.0.0.1', port: 2222 });
    assert.deepEqual(parseJumpHop('bastion'), { host: 'bastion', port: 22 });
    assert.deepEqual(parseJumpHop('ssh://a@[::1]:23'), { user: 'a', host: '::1', port: 23 });
    assert.throws(() => parseJumpHop('x:99999'), /invalid jump host/);
  });
});
