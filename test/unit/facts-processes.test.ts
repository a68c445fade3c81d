/**
 * Process facts beyond the fixture cases (test/fixtures/facts/processes/{ps,proc}): the `/proc` walk
 * run for real on processes this test starts (a deleted binary, a hostile file name), and the
 * reasons a process is suspicious, case by case.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  displayName,
  joinProcesses,
  parseProc,
  parsePs,
  procFact,
  psFact,
  suspiciousReasons,
} from '../../src/facts/index.js';

const PROC_COMMAND = procFact.command as string;
const PS_COMMAND = psFact.command as string;
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('facts: process reasons', () => {
  it('a process ps caught between fork and exec ([wc], seen by ps alone) is not a disguise; one the /proc walk saw is', () => {
    assert.deepEqual(suspiciousReasons({ pid: 53, ppid: 51, args: '[wc]', deleted: false }), []);
    assert.deepEqual(
      suspiciousReasons({ pid: 54, ppid: 1, args: '[updater]', comm: 'updater', deleted: false }).map((r) => r.reason),
      ['named like a kernel thread but its parent is PID 1, not kthreadd'],
    );
  });

  it('a process whose empty command line ps shows as its own name in brackets ([sshd] on sshd, exiting) is no disguise', () => {
    const exiting = { pid: 95, ppid: 36, args: '[sshd]', comm: 'sshd', exe: '/usr/sbin/sshd', deleted: false };
    assert.deepEqual(suspiciousReasons(exiting), []);
    // Another name in the brackets, or a kernel thread's name on its own binary, still is.
    assert.deepEqual(
      suspiciousReasons({ ...exiting, args: '[cron]' }).map((r) => r.reason),
      ['named like a kernel thread but runs /usr/sbin/sshd', 'shows itself as cron but runs /usr/sbin/sshd'],
    );
    assert.deepEqual(
      suspiciousReasons({
        pid: 50,
        ppid: 1,
        args: '[kworkerds]',
        comm: 'kworkerds',
        exe: '/usr/bin/kworkerds',
        deleted: false,
      }).map((r) => r.reason),
      ['named like a kernel thread but runs /usr/bin/kworkerds'],
    );
  });

  it('real kernel threads, zombies and sshd are not suspicious; an impostor without exe but the wrong parent is', () => {
    assert.deepEqual(
      suspiciousReasons({ pid: 30, ppid: 2, args: '[kworker/u8:0-ext4-rsv-conversion]', deleted: false }),
      [],
    );
    assert.deepEqual(suspiciousReasons({ pid: 2, ppid: 0, args: '[kthreadd]', deleted: false }), []);
    assert.deepEqual(suspiciousReasons({ pid: 77, ppid: 50, args: '[sh] <defunct>', stat: 'Z', deleted: false }), []);
    assert.deepEqual(
      suspiciousReasons({ pid: 78, ppid: 1, args: '[kworker/0:2]', deleted: false }).map((r) => r.severity),
      ['high'],
    );
    assert.deepEqual(
      suspiciousReasons({
        pid: 79,
        ppid: 1,
        args: '/usr/sbin/sshd -D',
        exe: '/usr/sbin/sshd (deleted)',
        deleted: true,
      }),
      [{ reason: 'its binary was deleted', severity: 'medium' }],
    );
    assert.equal(displayName('/usr/bin/python3 -m http.server'), 'python3');
    assert.equal(displayName('sshd: root@pts/0'), 'sshd');
  });

  it("a daemon's or shell's name on its own binary is ordinary; on another binary it is high", () => {
    const honest: Array<[string, string]> = [
      ['sshd: root@pts/0', '/usr/sbin/sshd'],
      ['sshd: root [priv]', '/usr/lib/openssh/sshd-session'],
      ['php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)', '/usr/sbin/php-fpm8.2'],
      ['/sbin/init splash', '/usr/lib/systemd/systemd'],
      ['-bash', '/usr/bin/bash'],
      ['sh -c true', '/usr/bin/dash'],
      ['/usr/sbin/cron -f', '/usr/sbin/cron'],
      ['nginx: worker process', '/usr/sbin/nginx (deleted)'],
      ['/usr/bin/python3 -m http.server', '/usr/bin/python3.11'],
    ];
    for (const [args, exe] of honest)
      assert.deepEqual(
        suspiciousReasons({ pid: 40, ppid: 1, args, exe, deleted: exe.endsWith('(deleted)') }).filter((r) =>
          r.reason.startsWith('shows itself'),
        ),
        [],
        args,
      );
    assert.deepEqual(
      suspiciousReasons({ pid: 41, ppid: 1, args: 'sshd: root@notty', exe: '/usr/bin/perl', deleted: false }),
      [{ reason: 'shows itself as sshd but runs /usr/bin/perl', severity: 'high' }],
    );
  });

  it('an interpreter running a script from a scratch dir, a hidden path or deleted names the script', () => {
    const reasons = (args: string, extra: Partial<Parameters<typeof suspiciousReasons>[0]> = {}) =>
      suspiciousReasons({ pid: 50, ppid: 1, args, exe: '/usr/bin/bash', deleted: false, cwd: '/root', ...extra }).map(
        (r) => r.reason,
      );
    assert.deepEqual(reasons('bash /usr/local/bin/backup.sh'), []);
    assert.deepEqual(reasons('bash -c /tmp/x'), [], 'inline code: its own words are not a script path');
    assert.deepEqual(reasons('bash -x .x/run'), ['runs the script /root/.x/run from a hidden path']);
    assert.deepEqual(reasons('bash run.sh', { cwd: '/dev/shm' }), [
      'runs the script /dev/shm/run.sh from a scratch dir',
    ]);
    assert.deepEqual(reasons('bash /srv/a.sh', { deletedFds: [{ fd: 255, target: '/srv/a.sh (deleted)' }] }), [
      'its script /srv/a.sh was deleted',
    ]);
    assert.deepEqual(
      reasons('/usr/sbin/nginx', { exe: '/usr/sbin/nginx', deletedFds: [{ fd: 0, target: '/tmp/x (deleted)' }] }),
      [],
      'a deleted file on stdin means a script for interpreters only',
    );
  });

  it('never throws on input that is not text', () => {
    for (const bad of [undefined as unknown as string, null as unknown as string]) {
      assert.deepEqual(parsePs(bad), []);
      assert.deepEqual(parseProc(bad), []);
    }
  });
});

describe('facts: the /proc walk, run for real', function () {
  this.timeout(30000);
  let dir: string;
  const children: ChildProcess[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fb-facts-'));
  });
  after(() => {
    for (const c of children) if (c.pid && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** Start a copy of sleep at `path`, optionally under another argv[0]. */
  function startCopy(path: string, argv0?: string): ChildProcess {
    copyFileSync('/bin/sleep', path);
    const child = spawn(path, ['300'], { stdio: 'ignore', ...(argv0 ? { argv0 } : {}) });
    children.push(child);
    return child;
  }

  function walk(shell: string): ReturnType<typeof parseProc> {
    const r = spawnSync(shell, ['-c', PROC_COMMAND], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, r.stderr);
    return parseProc(r.stdout);
  }

  it('sees the test process itself with its binary and hash (run by dash, the strictest POSIX sh at hand)', () => {
    const shell = spawnSync('dash', ['-c', 'true']).status === 0 ? 'dash' : 'sh';
    const self = walk(shell).find((p) => p.pid === process.pid);
    assert.equal(self?.exe, process.execPath);
    assert.equal(self?.sha256, sha256(process.execPath));
    assert.equal(self?.ppid, process.ppid);
    assert.ok((self?.fds ?? 0) > 2);
  });

  it('hashes a deleted binary through /proc/PID/exe and keeps a hostile name on one line', async () => {
    const deleted = startCopy(join(dir, 'dropper'), '[kworker/3:1]');
    const hostileDir = join(dir, 'a\tb\nc');
    mkdirSync(hostileDir);
    const hostile = startCopy(join(hostileDir, 'x'));
    const expected = sha256('/bin/sleep');
    await new Promise((r) => setTimeout(r, 200));
    unlinkSync(join(dir, 'dropper'));
    const all = walk('sh');
    const d = all.find((p) => p.pid === deleted.pid);
    assert.equal(d?.exe, `${join(dir, 'dropper')} (deleted)`);
    assert.equal(d?.deleted, true);
    assert.equal(d?.sha256, expected);
    assert.equal(d?.cmdline, '[kworker/3:1] 300');
    const h = all.find((p) => p.pid === hostile.pid);
    assert.equal(h?.exe, join(dir, 'a?b?c', 'x'));
    assert.equal(h?.sha256, expected);
    const ps = spawnSync('sh', ['-c', PS_COMMAND], { encoding: 'utf8' });
    const view = joinProcesses(parsePs(ps.stdout), all).find((v) => v.pid === deleted.pid);
    assert.ok(view && suspiciousReasons(view).some((r) => /named like a kernel thread/.test(r.reason)));
  });
});
