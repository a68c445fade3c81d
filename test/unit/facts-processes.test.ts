/**
 * Process facts: the recorded `ps` and `/proc` walk of the recording lab (test/fixtures/facts/processes),
 * and the walk itself run for real on processes this test starts (a deleted binary, a hostile file name).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  displayName,
  hiddenProcessFindings,
  joinProcesses,
  parseProc,
  parsePs,
  pidsHiddenFromPs,
  processFindings,
  PROC_COMMAND,
  PS_COMMAND,
  suspiciousReasons,
} from '../../src/facts/index.js';

const fx = (p: string): string => readFileSync(join(import.meta.dirname, '../fixtures/facts', p), 'utf8');
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('facts: processes (recorded)', () => {
  const ps = parsePs(fx('processes/compromised-ps.txt'));
  const proc = parseProc(fx('processes/compromised-proc.txt'));

  it('parses ps rows with lstart and full args', () => {
    assert.equal(ps.length, 80);
    assert.deepEqual(
      ps.find((p) => p.pid === 14976),
      { pid: 14976, ppid: 13837, user: 'root', started: 'Sat Nov 21 19:53:21 2026', stat: 'S', args: '[kworker/0:1]' },
    );
    assert.equal(ps.find((p) => p.pid === 2)?.args, '[kthreadd]');
    assert.equal(ps.find((p) => p.pid === 14957)?.args, 'sshd: root@pts/0');
  });

  it('parses the /proc walk: deleted and memfd binaries, hashes, cwd, a path with a space', () => {
    assert.equal(proc.length, 80);
    const dropper = proc.find((p) => p.pid === 14956);
    assert.deepEqual(dropper, {
      pid: 14956,
      ppid: 13837,
      comm: 'kworkerds',
      exe: '/dev/shm/kworkerds (deleted)',
      deleted: true,
      sha256: '1f4d7b11bd9bfb0375c33d9c051db6452f966884ff8880bab8d62dc7822aba03',
      cwd: '/tmp/fbrec',
      fds: 13,
      cmdline: 'kworkerds',
    });
    assert.equal(proc.find((p) => p.pid === 14979)?.exe, '/tmp/. /updater');
    assert.equal(proc.find((p) => p.pid === 14980)?.exe, '/memfd: (deleted)');
    const kthreadd = proc.find((p) => p.pid === 2);
    assert.deepEqual(
      [kthreadd?.exe, kthreadd?.sha256, kthreadd?.fds, kthreadd?.cmdline, kthreadd?.ppid],
      [undefined, undefined, undefined, '', 0],
    );
    assert.deepEqual(pidsHiddenFromPs(ps, proc), []);
    assert.deepEqual(
      pidsHiddenFromPs(
        ps.filter((p) => p.pid !== 14976),
        proc,
      ),
      [14976],
    );
    const hidden = hiddenProcessFindings(
      'web01',
      ps.filter((p) => p.pid !== 14976),
      proc,
    );
    assert.deepEqual(
      hidden.map((f) => [f.kind, f.severity, f.detail.pid, f.detail.exe]),
      [['rootkit.warning', 'medium', 14976, '/var/tmp/.../sshd']],
    );
  });

  it('flags exactly the planted processes, with the evidence kill_process needs', () => {
    const f = processFindings('web01', joinProcesses(ps, proc));
    assert.deepEqual(
      f.map((x) => [x.detail.pid, x.severity]),
      [
        [14956, 'high'],
        [14976, 'high'],
        [14979, 'high'],
        [14980, 'high'],
      ],
    );
    const kw = f.find((x) => x.detail.pid === 14976);
    assert.equal(kw?.kind, 'process.suspicious');
    assert.deepEqual(kw?.detail.reasons, [
      'runs from /var/tmp/.../sshd',
      'named like a kernel thread but runs /var/tmp/.../sshd',
    ]);
    assert.equal(kw?.detail.sha256, '1f4d7b11bd9bfb0375c33d9c051db6452f966884ff8880bab8d62dc7822aba03');
    assert.equal(kw?.detail.args, '[kworker/0:1]');
    assert.deepEqual(f.find((x) => x.detail.pid === 14956)?.detail.reasons, [
      'runs from /dev/shm/kworkerds',
      'its binary was deleted',
      'named like a kernel thread but runs /dev/shm/kworkerds (deleted)',
    ]);
    assert.deepEqual(f.find((x) => x.detail.pid === 14980)?.detail.reasons, [
      'runs from an anonymous memory file (memfd)',
    ]);
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

  it('never throws on odd input', () => {
    for (const bad of ['', 'x\ty', '12\t', '  PID  PPID USER', undefined as unknown as string]) {
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
