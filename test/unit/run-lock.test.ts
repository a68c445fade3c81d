/**
 * The run lock against real processes: taken and refused in this process, held by a child process and
 * found stale once that child is SIGKILLed (the file stays, its pid is dead), a reused pid told apart
 * by its start time, a lock of another host never taken over.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  acquireRunLock,
  releaseRunLock,
  runLockState,
  RUN_LOCK_FILE,
  type RunLockInfo,
} from '../../src/engine/run-lock.js';
import { REPO } from '../integration/run-cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(os.tmpdir(), 'fb-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lockFile = () => join(dir, RUN_LOCK_FILE);
const readLock = () => JSON.parse(readFileSync(lockFile(), 'utf8')) as RunLockInfo;
const writeLock = (info: Partial<RunLockInfo>) =>
  writeFileSync(
    lockFile(),
    JSON.stringify({ hostname: os.hostname(), startedAt: '2026-01-31T10:15:00.000Z', version: '0.0.1', ...info }),
  );
/** This process's start time in clock ticks (`/proc/self/stat` field 22), or undefined without /proc. */
const ownProcStart = (): number | undefined =>
  existsSync('/proc/self/stat')
    ? Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[19])
    : undefined;

describe('run lock', () => {
  it('is taken with who holds it, refused while held (naming pid and host), and released', () => {
    const lock = acquireRunLock(dir);
    const info = readLock();
    assert.equal(info.pid, process.pid);
    assert.equal(info.hostname, os.hostname());
    assert.ok(!Number.isNaN(Date.parse(info.startedAt)), info.startedAt);
    assert.match(info.version, /^\d+\.\d+\.\d+/);
    assert.equal(info.procStart, ownProcStart());
    assert.equal(runLockState(dir).state, 'held');

    assert.throws(
      () => acquireRunLock(dir),
      (err: Error) =>
        err.name === 'InputError' &&
        err.message.includes(`pid ${process.pid} on ${os.hostname()}`) &&
        /locked/.test(err.message),
    );
    assert.deepEqual(readLock(), info, 'a refused acquire leaves the holder’s lock as it was');

    releaseRunLock(lock);
    assert.ok(!existsSync(lockFile()));
    assert.equal(runLockState(dir).state, 'none');
    releaseRunLock(lock); // twice is fine
  });

  describe('held by another process', () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      child = undefined;
    });

    it('is refused while that process lives, stale once it was SIGKILLed, then taken over', async function () {
      this.timeout(20_000);
      // A real controller stand-in: takes the lock through the module, says so, and never lets go.
      const code = `const m = await import(${JSON.stringify(join(REPO, 'src/engine/run-lock.ts'))});
        m.acquireRunLock(${JSON.stringify(dir)}); process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`;
      const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child = proc;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      await new Promise<void>((resolve, reject) => {
        proc.stdout?.on('data', (c: Buffer) => c.toString().includes('locked') && resolve());
        proc.once('exit', (c, s) => reject(new Error(`the lock holder exited first (${c ?? s})`)));
      });
      const pid = proc.pid as number;
      assert.equal(readLock().pid, pid);
      assert.equal(runLockState(dir).state, 'held');
      assert.throws(() => acquireRunLock(dir), new RegExp(`held by pid ${pid} on ${os.hostname()}`));

      proc.kill('SIGKILL');
      await exited;
      assert.ok(existsSync(lockFile()), 'a SIGKILLed holder leaves its lock file behind');
      const stale = runLockState(dir);
      assert.equal(stale.state, 'stale');
      assert.equal(stale.holder?.pid, pid);
      assert.match(stale.detail, new RegExp(`pid ${pid} .* is no longer running`));

      const lock = acquireRunLock(dir);
      assert.equal(readLock().pid, process.pid);
      assert.equal(readLock().tookOver?.pid, pid, 'the new lock records whose stale lock it replaced');
      assert.match(lock.tookOver ?? '', new RegExp(`pid ${pid}`));
      releaseRunLock(lock);
    });
  });

  it('takes a live pid with another start time for a reused pid: stale', function () {
    const start = ownProcStart();
    if (start === undefined) this.skip(); // no /proc: only the pid can be checked
    writeLock({ pid: process.pid, procStart: (start as number) + 1 });
    const s = runLockState(dir);
    assert.equal(s.state, 'stale');
    assert.match(s.detail, /pid now belongs to another process/);
    writeLock({ pid: process.pid, procStart: start as number });
    assert.equal(runLockState(dir).state, 'held', 'positive control: the right start time is the holder');
  });

  it('a pid that exited is stale (spawnSync has reaped it)', () => {
    const { pid } = spawnSync('true');
    writeLock({ pid });
    assert.equal(runLockState(dir).state, 'stale');
  });

  it('treats a lock of another host as held and never takes it over', () => {
    writeLock({ pid: 1, hostname: 'controller-b.example' });
    const s = runLockState(dir);
    assert.equal(s.state, 'held');
    assert.match(s.detail, /controller-b\.example .*: another host/);
    assert.throws(
      () => acquireRunLock(dir),
      /pid 1 on controller-b\.example .*if that controller is gone, remove .*run\.lock/,
    );
    assert.equal(readLock().hostname, 'controller-b.example');
  });

  it('an unreadable lock is being written while fresh, stale once old', () => {
    writeFileSync(lockFile(), '');
    assert.equal(runLockState(dir).state, 'held');
    assert.throws(() => acquireRunLock(dir), /being written/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockFile(), old, old);
    assert.equal(runLockState(dir).state, 'stale');
    const lock = acquireRunLock(dir);
    assert.equal(readLock().pid, process.pid);
    assert.equal(readLock().tookOver, undefined, 'nothing readable to record');
    releaseRunLock(lock);
  });

  it('release leaves alone a lock that is no longer its own', () => {
    const lock = acquireRunLock(dir);
    writeLock({ pid: 1, hostname: 'controller-b.example' });
    releaseRunLock(lock);
    assert.equal(readLock().hostname, 'controller-b.example');
  });
});
