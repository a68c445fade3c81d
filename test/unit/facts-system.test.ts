/**
 * Network and system facts from recorded output: `ss` (outbound SSH per process, listeners),
 * conntrack use, disk use (test/fixtures/facts/{sockets,conntrack,disk}).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  conntrackFindings,
  diskFindings,
  listenerFindings,
  outboundSsh,
  outboundSshFindings,
  parseConntrack,
  parseDf,
  parseSs,
  splitEndpoint,
} from '../../src/facts/index.js';

const fx = (p: string): string => readFileSync(join(import.meta.dirname, '../fixtures/facts', p), 'utf8');

describe('facts: ss', () => {
  const tanp = parseSs(fx('sockets/outbound-scan-ss-tanp.txt'));

  it('parses states, endpoints and processes; the header is not a socket', () => {
    assert.equal(tanp.length, 29);
    assert.deepEqual(
      tanp.find((s) => s.localPort === 31337),
      {
        proto: 'tcp',
        state: 'LISTEN',
        localAddress: '0.0.0.0',
        localPort: 31337,
        peerAddress: '0.0.0.0',
        peerPort: '*',
        processes: [{ name: 'kworker/0:1', pid: 14976, fd: 3 }],
      },
    );
    assert.equal(tanp.filter((s) => s.state === 'TIME-WAIT').length, 8);
    const udp = parseSs(fx('sockets/outbound-scan-ss-ulnp.txt'));
    assert.deepEqual(
      udp.map((s) => [s.proto, s.state, s.localPort]),
      [['udp', 'UNCONN', 31337]],
      'no Netid column: UNCONN means UDP',
    );
    const tunap = parseSs(fx('sockets/outbound-scan-ss-tunap.txt'));
    assert.deepEqual([...new Set(tunap.map((s) => s.proto))].sort(), ['tcp', 'udp']);
    assert.equal(tunap.length, tanp.length + 1);
  });

  it('splits IPv6, mapped IPv4 and interface-scoped endpoints', () => {
    assert.deepEqual(splitEndpoint('[2001:db8:bad::5]:59325'), { address: '2001:db8:bad::5', port: 59325 });
    assert.deepEqual(splitEndpoint('[::ffff:192.0.2.7]:22'), { address: '192.0.2.7', port: 22 });
    assert.deepEqual(splitEndpoint('127.0.0.53%lo:53'), { address: '127.0.0.53', port: 53 });
    assert.deepEqual(splitEndpoint('*:*'), { address: '*', port: '*' });
  });

  it("groups outbound connections to port 22 per process, leaving out sshd's inbound ones", () => {
    const groups = outboundSsh(tanp);
    const dropper = groups.find((g) => g.pid === 14956);
    assert.equal(dropper?.connections, 8);
    assert.deepEqual([...(dropper?.targets ?? [])].sort(), [
      '198.51.100.1',
      '198.51.100.2',
      '198.51.100.3',
      '198.51.100.4',
      '198.51.100.5',
      '198.51.100.6',
      '198.51.100.7',
    ]);
    assert.ok(!groups.some((g) => g.name === 'sshd'), 'local port 22 is inbound');
    const f = outboundSshFindings('web01', tanp);
    assert.deepEqual(
      f.map((x) => [x.detail.name, x.detail.connections, x.severity]),
      [
        ['kworkerds', 8, 'high'],
        ['unknown', 8, 'high'],
        ['ssh', 1, 'low'],
      ],
    );
    assert.equal(f[0]?.kind, 'network.outbound_ssh');
    assert.deepEqual(f[1]?.detail.states, ['TIME-WAIT']);
    assert.equal(outboundSshFindings('h', tanp, { highTargets: 10, highConnections: 10 })[0]?.severity, 'low');
  });

  it('lists each listener once per protocol and address', () => {
    const f = listenerFindings('web01', [...tanp, ...parseSs(fx('sockets/outbound-scan-ss-ulnp.txt'))]);
    assert.deepEqual(
      f.map((x) => `${x.detail.proto} ${x.detail.address}:${x.detail.port} ${(x.detail.processes as string[]).join()}`),
      ['tcp 0.0.0.0:22 sshd', 'tcp 0.0.0.0:31337 kworker/0:1', 'tcp :::22 sshd', 'udp 0.0.0.0:31337 kworker/0:1'],
    );
    assert.ok(f.every((x) => x.kind === 'network.listener' && x.severity === 'info'));
  });

  it('never throws on odd input', () => {
    for (const bad of ['', 'ESTAB', 'ESTAB 0 0 x', 'State Recv-Q', undefined as unknown as string])
      assert.deepEqual(parseSs(bad), []);
  });
});

describe('facts: conntrack', () => {
  it('reads count and max, and counts "table full" kernel lines', () => {
    assert.deepEqual(parseConntrack(fx('conntrack/debian12-idle.txt')), { count: 0, max: 262144, droppedLines: 0 });
    assert.deepEqual(parseConntrack(fx('conntrack/no-module.txt')), { droppedLines: 0 });
    assert.deepEqual(parseConntrack(fx('conntrack/table-full-kernel-log.txt')), {
      count: 262144,
      max: 262144,
      droppedLines: 4,
    });
  });

  it('warns above 80 %, high above 95 % or with drops', () => {
    assert.deepEqual(conntrackFindings('h', parseConntrack(fx('conntrack/debian12-idle.txt'))), []);
    const full = conntrackFindings('h', parseConntrack(fx('conntrack/table-full-kernel-log.txt')));
    assert.deepEqual(
      full.map((x) => [x.kind, x.severity, x.detail.percent, x.detail.droppedLines]),
      [['conntrack.usage', 'high', 100, 4]],
    );
    assert.equal(conntrackFindings('h', { count: 850, max: 1000, droppedLines: 0 })[0]?.severity, 'medium');
    assert.deepEqual(conntrackFindings('h', { count: 800, max: 1000, droppedLines: 0 }), []);
    assert.equal(conntrackFindings('h', { droppedLines: 2 })[0]?.severity, 'high');
  });
});

describe('facts: disk use', () => {
  const usage = [...parseDf(fx('disk/df-hPT.txt')), ...parseDf(fx('disk/df-iPT.txt'))];

  it('parses blocks and inodes with the type column, mount points with spaces', () => {
    assert.equal(usage.length, 12);
    assert.deepEqual(
      usage.find((d) => d.mount === '/mnt/backup disk' && d.measure === 'blocks'),
      {
        filesystem: 'backup',
        type: 'tmpfs',
        mount: '/mnt/backup disk',
        measure: 'blocks',
        size: '100M',
        used: '92M',
        available: '8.0M',
        percent: 92,
      },
    );
    assert.equal(usage.find((d) => d.mount === '/var/spool/mqueue' && d.measure === 'inodes')?.percent, 97);
    const untyped = parseDf(
      'Filesystem 1K-blocks Used Available Capacity Mounted on\n/dev/sda1 100 99 1 99% /\nbad line',
    );
    assert.deepEqual(
      untyped.map((d) => [d.type, d.mount, d.percent]),
      [['', '/', 99]],
    );
    assert.equal(
      parseDf('Filesystem Type Inodes IUsed IFree IUse% Mounted on\n/dev/vdb vfat 0 0 0 - /boot/efi')[0]?.percent,
      undefined,
    );
  });

  it('finds full disks (blocks or inodes), skipping always-full images', () => {
    const f = diskFindings('h', usage);
    assert.deepEqual(
      f.map((x) => [x.detail.mount, x.detail.measure, x.severity]),
      [
        ['/srv/data', 'blocks', 'high'],
        ['/mnt/backup disk', 'blocks', 'medium'],
        ['/var/spool/mqueue', 'inodes', 'medium'],
      ],
    );
    const snap = parseDf(
      'Filesystem Type Size Used Avail Use% Mounted on\n/dev/loop3 squashfs 56M 56M 0 100% /snap/core18/2829',
    );
    assert.deepEqual(diskFindings('h', snap), []);
  });
});
