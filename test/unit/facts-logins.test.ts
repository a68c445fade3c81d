/**
 * Login facts from recorded output (test/fixtures/facts/{who,w,last,lastb,auth-log}): who is on
 * the box, login history, failed logins per source address.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  activeLoginFindings,
  authLogFindings,
  failedAttempts,
  lastbFindings,
  lastFindings,
  parseAuthLog,
  parseLast,
  parseW,
  parseWho,
} from '../../src/facts/index.js';

const fx = (p: string): string => readFileSync(join(import.meta.dirname, '../fixtures/facts', p), 'utf8');

describe('facts: who and w', () => {
  const expected = [
    { user: 'root', tty: 'pts/0', from: '203.0.113.66' },
    { user: 'alice', tty: 'pts/4', from: '192.0.2.10' },
    { user: 'deploy-backup', tty: 'pts/5', from: '2001:db8::17' },
  ];
  it('reads who in the C locale, a UTF-8 locale and who -a (no boot, run-level or LOGIN lines)', () => {
    for (const file of ['who/synth-c-locale.txt', 'who/synth-utf8-locale.txt', 'who/synth-who-a.txt']) {
      const logins = parseWho(fx(file));
      assert.deepEqual(
        logins.map(({ user, tty, from }) => ({ user, tty, from })),
        expected,
        file,
      );
    }
    assert.equal(parseWho(fx('who/synth-c-locale.txt'))[2]?.loginAt, 'Nov 21 19:01');
    assert.equal(parseWho(fx('who/synth-utf8-locale.txt'))[2]?.loginAt, '2026-11-21 19:01');
  });

  it('reads w with wide and default columns, keeping what each session runs', () => {
    const wide = parseW(fx('w/wide-columns.txt'));
    assert.deepEqual(
      wide.map((l) => l.user),
      ['root', 'alice', 'deploy-backup'],
    );
    assert.equal(wide[2]?.what, '/dev/shm/.x/scan 198.51.100.0/24 22 300');
    assert.equal(wide[2]?.from, '2001:db8::17');
    assert.equal(
      parseW(fx('w/default-columns.txt'))[2]?.user,
      'deploy-b',
      'procps cuts names at 8 without PROCPS_USERLEN',
    );
    const sshd = parseW(fx('w/sshd-session.txt'));
    assert.deepEqual(sshd, [
      { user: 'root', tty: 'pts/0', from: '203.0.113.66', loginAt: '19:53', idle: '2.00s', what: 'sleep 600' },
    ]);
  });

  it('reads w without a FROM column and ignores junk', () => {
    const text =
      ' 10:00:00 up 1 day\nUSER     TTY      LOGIN@   IDLE   JCPU   PCPU WHAT\nbob      tty1     09:12    1:00m  0.10s  0.05s -bash\ngarbage';
    assert.deepEqual(parseW(text), [
      { user: 'bob', tty: 'tty1', from: '', loginAt: '09:12', idle: '1:00m', what: '-bash' },
    ]);
    assert.deepEqual(parseW('no header at all\nroot pts/0 1.2.3.4 10:00 0.00s 0.00s 0.00s x'), []);
  });

  it('makes one login.active finding per session, remote ones low', () => {
    const f = activeLoginFindings(
      'web01',
      parseWho(fx('who/sshd-session.txt')).concat({ user: 'op', tty: 'tty1', from: '', loginAt: 'x' }),
    );
    assert.deepEqual(
      f.map((x) => [x.kind, x.severity, x.detail.user]),
      [
        ['login.active', 'low', 'root'],
        ['login.active', 'info', 'op'],
      ],
    );
    assert.match(f[0]?.summary ?? '', /root logged in on pts\/0 from 203\.0\.113\.66/);
  });
});

describe('facts: last', () => {
  it('reads util-linux last -Fiw: sessions, reboots, still logged in, gone, crash', () => {
    const r = parseLast(fx('last/debian12-synth-wtmp.txt'));
    assert.equal(r.length, 11);
    assert.equal(r.filter((x) => x.kind === 'reboot').length, 3);
    assert.deepEqual(r[2], {
      kind: 'login',
      user: 'root',
      tty: 'pts/0',
      from: '203.0.113.66',
      start: 'Sat Nov 21 16:40:12 2026',
      status: 'still-logged-in',
    });
    assert.equal(r[3]?.status, 'still-running');
    assert.deepEqual(
      r.find((x) => x.user === 'deploy-backup'),
      {
        kind: 'login',
        user: 'deploy-backup',
        tty: 'pts/1',
        from: '2001:db8::17',
        start: 'Wed Nov 18 02:11:09 2026',
        status: 'logged-out',
        end: 'Wed Nov 18 02:13:44 2026',
        duration: '00:02',
      },
    );
    assert.equal(r.find((x) => x.status === 'crash')?.start, 'Tue Nov 3 09:12:00 2026');
    assert.equal(r.find((x) => x.tty === 'tty1')?.from, '', '0.0.0.0 means a local login');
    assert.equal(r[0]?.status, 'gone');
  });

  it('reads the short format of CentOS 7 and Debian (kernel versions, HH:MM ends, day+time durations)', () => {
    const c = parseLast(fx('last/centos7-short-format.txt'));
    assert.equal(c.length, 14);
    const boot = c.find((x) => x.duration === '1+02:07');
    assert.deepEqual(boot, {
      kind: 'reboot',
      user: 'reboot',
      tty: 'system boot',
      from: '',
      kernel: '3.10.0-1062.7.1.',
      start: 'Fri Aug 14 09:58',
      status: 'logged-out',
      end: '12:05',
      duration: '1+02:07',
    });
    assert.equal(c.filter((x) => x.status === 'crash').length, 8);
    const d = parseLast(fx('last/debian12-util-linux-crash.txt'));
    assert.deepEqual(
      d.map((x) => x.status),
      ['still-logged-in', 'still-running', 'crash', 'still-running', 'logged-out', 'logged-out'],
    );
  });

  it('groups logins per user and address; a remote root login is low', () => {
    const f = lastFindings('h', parseLast(fx('last/debian12-synth-wtmp.txt')));
    const root = f.find((x) => x.detail.user === 'root' && x.detail.from === '203.0.113.66');
    assert.equal(root?.severity, 'low');
    assert.equal(root?.detail.sessions, 2);
    assert.equal(root?.detail.stillLoggedIn, 1);
    assert.equal(f.find((x) => x.detail.user === 'alice')?.detail.sessions, 3);
    assert.ok(f.every((x) => x.kind === 'login.recent'));
    assert.equal(parseLast(fx('last/debian12-sshd-wtmp.txt'))[0]?.from, '203.0.113.66');
  });
});

describe('facts: failed logins', () => {
  it('counts lastb records per source address, with the users tried', () => {
    const f = lastbFindings('h', parseLast(fx('lastb/debian12-sshd-btmp.txt')));
    assert.deepEqual(
      f.map((x) => [x.detail.address, x.detail.attempts]),
      [
        ['203.0.113.66', 15],
        ['198.51.100.200', 7],
        ['2001:db8:bad::5', 3],
      ],
    );
    assert.deepEqual([...(f[0]?.detail.users as string[])].sort(), ['admin', 'root', 'test', 'ubnt']);
    assert.equal(f[0]?.detail.firstSeen, 'Sat Nov 21 19:52:27 2026');
    assert.equal(f[0]?.detail.lastSeen, 'Sat Nov 21 19:52:57 2026');
    assert.equal(f[0]?.severity, 'low');
    const synth = lastbFindings('h', parseLast(fx('lastb/debian12-synth-btmp.txt')));
    assert.ok(
      (synth.find((x) => x.detail.address === '198.51.100.200')?.detail.users as string[]).includes('postgresql-admin'),
    );
  });

  it('counts sshd auth log lines per connection in both timestamp styles alike', () => {
    for (const file of ['auth-log/debian12-rsyslog-auth.log', 'auth-log/traditional-format-secure.log']) {
      const f = authLogFindings('web01', parseAuthLog(fx(file)));
      assert.deepEqual(
        f.map((x) => [x.detail.address, x.detail.attempts, x.severity]),
        [
          ['203.0.113.66', 13, 'critical'],
          ['198.51.100.200', 6, 'low'],
          ['2001:db8:bad::5', 3, 'info'],
        ],
        file,
      );
      assert.deepEqual(f[0]?.detail.acceptedUsers, ['root'], 'the brute-forcing address then logged in');
      assert.deepEqual(f[0]?.detail.users, ['root', 'admin', 'ubnt', 'test']);
      assert.deepEqual(f[1]?.detail.users, ['oracle', 'alice']);
    }
    const e = parseAuthLog(fx('auth-log/debian12-rsyslog-auth.log'));
    assert.equal(e.find((x) => x.kind === 'accepted')?.method, 'publickey');
    assert.equal(e.find((x) => x.kind === 'failed')?.at, '2026-11-21T19:52:27.052630+00:00');
    assert.equal(e.filter((x) => x.kind === 'invalid-user').length, 4);
  });

  it('takes the address from the end of the line, whatever the user name says', () => {
    const e = parseAuthLog(fx('auth-log/fail2ban-sshd-cases.log'));
    const injected = e.filter((x) => x.pid === 2737);
    assert.deepEqual(
      injected.map((x) => [x.user, x.address]),
      [
        ['from 10.10.1.1', '127.0.0.1'],
        ['test from 10.10.1.2 port 55555 ssh2', '127.0.0.1'],
        ['test', '127.0.0.1'],
      ],
    );
    assert.equal(e.find((x) => x.pid === 12946)?.address, '127.0.0.1', 'auth info after "ssh1:" is not the address');
    assert.deepEqual(
      e.find((x) => x.pid === 31603),
      {
        kind: 'failed',
        user: 'ROOT',
        address: 'aaaa:bbbb:cccc:1234::1:1',
        port: 50273,
        method: 'password',
        invalidUser: true,
        at: 'Feb 25 14:34:10',
        pid: 31603,
        count: 1,
      },
    );
    assert.equal(e.find((x) => x.pid === 1189074)?.user, '', 'an empty user name');
    assert.equal(e.find((x) => x.kind === 'not-allowed' && x.address === '46.45.128.3')?.user, 'root');
    assert.ok(
      !e.some((x) => x.address === '61.0.0.1'),
      '"maximum authentication attempts exceeded" is not another attempt',
    );
  });

  it('an Invalid user line followed by Failed lines of the same connection counts the Failed lines only', () => {
    const a = failedAttempts(parseAuthLog(fx('auth-log/fail2ban-sshd-cases.log')));
    assert.equal(a.filter((x) => x.address === '192.0.2.2').length, 1);
    const f = authLogFindings('h', parseAuthLog(fx('auth-log/debian12-velociraptor.log')));
    assert.deepEqual([f[0]?.detail.attempts, f[0]?.detail.acceptedUsers, f[0]?.severity], [3, ['antoine'], 'info']);
  });

  it('multiplies rsyslog "message repeated" lines and raises severity with the count', () => {
    const f = authLogFindings('h', parseAuthLog(fx('auth-log/rsyslog-repeated.log')));
    assert.deepEqual(
      f.map((x) => [x.detail.address, x.detail.attempts]),
      [
        ['43.255.191.169', 3],
        ['103.41.124.165', 1],
      ],
    );
    const many = Array.from(
      { length: 120 },
      (_, i) =>
        `Nov 21 19:25:${String(i % 60).padStart(2, '0')} h sshd[${1000 + i}]: Failed password for root from 192.0.2.9 port ${40000 + i} ssh2`,
    ).join('\n');
    assert.equal(authLogFindings('h', parseAuthLog(many))[0]?.severity, 'high');
    assert.equal(authLogFindings('h', parseAuthLog(many), { high: 500 })[0]?.severity, 'medium');
  });

  it('never throws on odd input', () => {
    for (const bad of [
      '',
      '\0\0\n',
      'Failed password for',
      '2026-11-21T19:25:06 h sshd[x]: Failed',
      undefined as unknown as string,
    ]) {
      assert.deepEqual(parseAuthLog(bad), []);
      assert.deepEqual(parseLast(bad), []);
      assert.deepEqual(parseWho(bad), []);
    }
  });
});
