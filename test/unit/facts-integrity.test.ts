/**
 * Integrity facts from recorded and published output (test/fixtures/facts/{packages,chkrootkit,
 * rkhunter}): package verification flags decoded, trojaned binaries critical, rootkit tool warnings.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  chkrootkitFindings,
  integrityFindings,
  integritySeverity,
  parseChkrootkit,
  parseDebsums,
  parseRkhunter,
  parseVerify,
  rkhunterFindings,
} from '../../src/facts/index.js';

const fx = (p: string): string => readFileSync(join(import.meta.dirname, '../fixtures/facts', p), 'utf8');
const severities = (records: ReturnType<typeof parseVerify>) =>
  Object.fromEntries(integrityFindings('h', records).map((f) => [f.detail.path, f.severity]));

describe('facts: package integrity', () => {
  it('decodes dpkg --verify: digest only, the rest unchecked; c marks conffiles; missing files', () => {
    const r = parseVerify(fx('packages/dpkg-verify-tampered.txt'), 'dpkg');
    assert.equal(r.length, 11);
    const ls = r.find((x) => x.path === '/bin/ls');
    assert.deepEqual(
      [ls?.changed.digest, ls?.changed.size, ls?.unchecked.length, ls?.config, ls?.missing],
      [true, false, 8, false, false],
    );
    assert.deepEqual(r.find((x) => x.path === '/etc/pam.d/sshd')?.attribute, 'c');
    assert.deepEqual(
      r.find((x) => x.path === '/etc/default/cron'),
      {
        path: '/etc/default/cron',
        tool: 'dpkg',
        missing: true,
        attribute: 'c',
        config: true,
        unchecked: [],
        changed: {
          size: false,
          mode: false,
          digest: false,
          device: false,
          link: false,
          user: false,
          group: false,
          mtime: false,
          capabilities: false,
        },
      },
    );
  });

  it('grades the tampered Debian copy: known trojan targets critical, docs low, conffiles low/info', () => {
    assert.deepEqual(severities(parseVerify(fx('packages/dpkg-verify-tampered.txt'), 'dpkg')), {
      '/bin/netstat': 'critical',
      '/lib/x86_64-linux-gnu/libkeyutils.so.1.10': 'critical',
      '/etc/pam.d/sshd': 'low',
      '/usr/sbin/sshd': 'critical',
      '/etc/default/cron': 'info',
      '/bin/ls': 'critical',
      '/bin/ps': 'critical',
      '/usr/bin/top': 'critical',
      '/usr/bin/w': 'medium',
      '/usr/share/man/man1/ps.1.gz': 'low',
      '/etc/login.defs': 'info',
    });
    const devbox = integrityFindings('h', parseVerify(fx('packages/dpkg-verify-devbox.txt'), 'dpkg'));
    assert.ok(
      devbox.every((f) => f.severity === 'low' || f.severity === 'info'),
      'npm/pip data files under /usr/lib are not binaries',
    );
  });

  it('decodes rpm -Va, 9 and 8 columns, and ignores other lines', () => {
    const r = parseVerify(fx('packages/rpm-va-rhel.txt'), 'rpm');
    assert.equal(r.length, 9);
    const sshd = r.find((x) => x.path === '/usr/sbin/sshd');
    assert.deepEqual(
      Object.entries(sshd?.changed ?? {})
        .filter(([, v]) => v)
        .map(([k]) => k),
      ['size', 'digest', 'mtime'],
    );
    assert.deepEqual(sshd?.unchecked, []);
    assert.deepEqual(
      r.find((x) => x.path === '/etc/updatedb.conf')?.unchecked,
      ['capabilities'],
      '8-column rpm has no P test',
    );
    assert.equal(r.find((x) => x.path === '/usr/bin/postgresql-setup')?.changed.mode, true);
    assert.equal(r.find((x) => x.path === '/var/spool/at/spool')?.missing, true);
    assert.deepEqual(severities(r), {
      '/etc/ssh/sshd_config': 'low',
      '/etc/updatedb.conf': 'info',
      '/usr/sbin/sshd': 'critical',
      '/usr/bin/postgresql-setup': 'high',
      '/usr/share/mof/cimv2.40.0/User/CIM_X509Infrastructure.mof': 'low',
      '/etc/vmware-eam/version': 'info',
      '/usr/X11R6/lib/X11/fonts/misc/fonts.dir': 'low',
      '/etc/passwd': 'low',
      '/var/spool/at/spool': 'info',
    });
  });

  it('reads debsums -c and -ca (changed paths, missing files with their package)', () => {
    const c = parseDebsums(fx('packages/debsums-c-tampered.txt'));
    assert.deepEqual(
      c.map((x) => x.path),
      [
        '/bin/ls',
        '/bin/ps',
        '/usr/bin/w',
        '/usr/bin/top',
        '/usr/share/man/man1/ps.1.gz',
        '/usr/sbin/sshd',
        '/bin/netstat',
        '/lib/x86_64-linux-gnu/libkeyutils.so.1.10',
      ],
    );
    assert.deepEqual(
      c.find((x) => x.missing),
      { ...c.find((x) => x.missing), path: '/usr/bin/w', package: 'procps', config: false },
    );
    const ca = parseDebsums(fx('packages/debsums-ca-tampered.txt'));
    assert.deepEqual(
      ca.filter((x) => x.config).map((x) => x.path),
      ['/etc/pam.d/sshd', '/etc/login.defs', '/etc/default/cron'],
    );
    assert.equal(integrityFindings('h', ca).find((f) => f.detail.path === '/bin/ls')?.severity, 'critical');
  });

  it('mode or owner changes on binaries: mode high, owner medium; ghost files info', () => {
    const [mode, owner, ghost] = parseVerify(
      '.M.......    /usr/local/bin/helper\n.....U...    /usr/bin/less\n.M.......  g /var/run/x',
      'rpm',
    );
    assert.deepEqual(
      [mode, owner, ghost].map((r) => (r ? integritySeverity(r) : undefined)),
      ['high', 'medium', 'info'],
    );
    assert.deepEqual(parseVerify('garbage\n??5?????? relative/path\n??5??\n', 'dpkg'), []);
  });
});

describe('facts: chkrootkit', () => {
  it('keeps the warnings of a full 0.58 run with their blocks, drops the clean results', () => {
    const r = parseChkrootkit(fx('chkrootkit/ubuntu2404-0.58-full.txt'));
    assert.deepEqual(
      r.map((x) => [x.check, x.result, x.severity]),
      [
        ['suspicious files and dirs', 'WARNING', 'medium'],
        ['Linux BPF Door', 'WARNING', 'medium'],
        ['sniffer', 'WARNING', 'medium'],
      ],
    );
    assert.equal(r[0]?.details.length, 26);
    assert.deepEqual(r[1]?.details, [
      'WARNING: Possible Linux BPFDoor Malware installed:',
      '/proc/988/stack:[<0>] unix_seqpacket_recvmsg+0x43/0x70',
    ]);
    const f = chkrootkitFindings('h', r);
    assert.ok(f.every((x) => x.kind === 'rootkit.warning' && x.detail.tool === 'chkrootkit'));
    assert.match(f[2]?.summary ?? '', /sniffer: WARNING — WARNING: Output from ifpromisc/);
  });

  it('reads quiet mode and old versions where INFECTED comes on the next line', () => {
    assert.deepEqual(
      parseChkrootkit(fx('chkrootkit/nixos-quiet.txt')).map((x) => [x.check, x.severity]),
      [
        ['basename', 'high'],
        ['date', 'high'],
        ['dirname', 'high'],
        ['echo', 'high'],
        ['env', 'high'],
      ],
    );
    const old = parseChkrootkit(fx('chkrootkit/nixos-old-format.txt'));
    assert.deepEqual(
      old.map((x) => x.check),
      ['basename', 'date', 'dirname', 'echo', 'env'],
    );
    assert.deepEqual(old[1], { check: 'date', result: '/bin/sh', details: ['INFECTED'], severity: 'high' });
    assert.deepEqual(
      parseChkrootkit(
        "Checking `lkm'... You have     2 process hidden for ps command\nChecking `wted'... not found",
      ).map((x) => x.severity),
      ['medium'],
    );
    assert.deepEqual(
      parseChkrootkit("Checking `login'... Vulnerable but disabled").map((x) => x.severity),
      ['low'],
    );
    assert.deepEqual(parseChkrootkit(''), []);
  });
});

describe('facts: rkhunter', () => {
  it('reads --rwo warnings with their continuation lines and grades them', () => {
    const w = parseRkhunter(fx('rkhunter/centos-rwo.txt'));
    assert.equal(w.length, 14);
    const ssh = w.find((x) => x.message.startsWith('The SSH and rkhunter'));
    assert.deepEqual(
      [ssh?.details, ssh?.severity],
      [
        ["SSH configuration option 'PermitRootLogin': yes", "Rkhunter configuration option 'ALLOW_SSH_ROOT_USER': no"],
        'info',
      ],
    );
    assert.deepEqual([...new Set(w.map((x) => x.severity))], ['medium', 'info', 'low']);
  });

  it('names the file of a properties warning; reads the log format', () => {
    const f = rkhunterFindings('h', parseRkhunter(fx('rkhunter/centos6-cron-properties.txt')));
    assert.deepEqual(
      f.map((x) => [x.detail.file, x.severity]),
      [
        ['/sbin/fsck', 'medium'],
        ['/sbin/ip', 'medium'],
        ['/sbin/nologin', 'medium'],
        ['/bin/dmesg', 'medium'],
      ],
    );
    const log = parseRkhunter(fx('rkhunter/log-excerpt.txt'));
    assert.deepEqual(
      log.map((x) => [x.message, x.details.length, x.severity]),
      [
        ['Found preloaded shared library: libesets_pac.so', 0, 'high'],
        ['The SSH and rkhunter configuration options should be the same:', 2, 'info'],
      ],
    );
  });
});
