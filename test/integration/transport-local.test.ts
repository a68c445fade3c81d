/**
 * The local transport (`ansible_connection=local`) on this machine: the same exec semantics as the
 * ssh2 path (exit codes, signals, stdin, spilling, timeouts and aborts that kill the whole tree,
 * become) and put/get as local copies. Only harmless commands; every process started is checked gone.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AbortError, ConnectionError } from '../../src/core/errors.js';
import { LocalTransport } from '../../src/transport/index.js';
import { loginEnv } from '../../src/transport/local-exec.js';
import { execContract } from './exec-contract.js';

/** PIDs of live (not zombie) processes whose session is `sid`, or which are in `pids`. */
function liveProcesses(sid: number, pids: number[]): Promise<string[]> {
  return new Promise((resolve, reject) =>
    execFile('ps', ['-e', '-o', 'pid=,sid=,stat=,args='], { timeout: 10_000 }, (err, stdout) => {
      if (err) return reject(err);
      const rows = stdout.split('\n').map((l) => l.trim().split(/\s+/));
      const live = rows.filter(
        ([pid, s, stat]) => !stat?.startsWith('Z') && (Number(s) === sid || pids.includes(Number(pid))),
      );
      resolve(live.map((r) => r.join(' ')));
    }),
  );
}

/** The command prints `$$` (its session: it leads one, as under sshd) and the PID of every child it starts. */
const TREE = `echo $$; sh -c 'sleep 60' & echo $!; setsid sleep 61 & echo $!; sleep 62 & echo $!; wait`;
const TREE_PIDS = 4;
const pidsOf = (stdout: string) => stdout.split('\n').filter(Boolean).map(Number);

describe('local transport (ansible_connection=local)', function () {
  this.timeout(30_000);
  let dir: string;
  let t: LocalTransport;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fb-local-transport-'));
    t = new LocalTransport('controller');
    await t.connect();
  });
  after(async () => {
    await t?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('runs on the controller itself, as its user, with no host key', async () => {
    const r = await t.exec('id -u; hostname; echo "${SSH_CONNECTION:-no ssh}"', { timeoutMs: 10_000 });
    assert.equal(r.stdout, `${process.getuid?.()}\n${os.hostname()}\nno ssh\n`);
    assert.equal(t.connected, true);
    assert.equal(t.hostKey, undefined);
  });

  execContract(
    () => Promise.resolve(t),
    () => dir,
  );

  it('reports a command that does not parse like sh does', async () => {
    const broken = await t.exec('echo ok; if then', { timeoutMs: 10_000 });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /[Ss]yntax error/);
  });

  it("gives commands a login's environment, not the controller's (which may hold secrets)", async () => {
    const env = loginEnv({ ...process.env, FB_PROBE_SECRET: 'hunter2', LC_ALL: 'C' });
    const local = new LocalTransport('controller', env);
    await local.connect();
    const r = await local.exec('echo "${FB_PROBE_SECRET:-unset} $LC_ALL $HOME"; pwd', { timeoutMs: 10_000 });
    assert.equal(r.stdout, `unset C ${os.homedir()}\n${os.homedir()}\n`);
    const homeless = new LocalTransport('controller', { ...env, HOME: path.join(dir, 'no-such-home') });
    await homeless.connect();
    assert.equal((await homeless.exec('pwd', { timeoutMs: 10_000 })).stdout, '/\n', 'starts in / like sshd');
  });

  it('stdoutToFile streams stdout to the file only, none of it in memory', async () => {
    const evidence = path.join(dir, 'spill', 'evidence');
    const e = await t.exec('printf abc', { timeoutMs: 10_000, spillPrefix: evidence, stdoutToFile: true });
    assert.equal(e.stdout, '');
    assert.equal(e.stdoutFile, `${evidence}.stdout`);
    assert.equal(await fs.readFile(`${evidence}.stdout`, 'utf8'), 'abc');
  });

  it('a spill file that cannot be written stops the command (its output would be lost)', async () => {
    const blocker = path.join(dir, 'not-a-dir');
    await fs.writeFile(blocker, '');
    const started = Date.now();
    await assert.rejects(
      t.exec('head -c 300000 /dev/zero; sleep 60', {
        timeoutMs: 20_000,
        spillPrefix: path.join(blocker, 'x'),
        maxInMemoryBytes: 1024,
      }),
      /ENOTDIR|EEXIST/,
    );
    assert.ok(Date.now() - started < 15_000, 'the command was stopped, not waited for');
  });

  it('timeout kills the command and all its children before resolving', async () => {
    const r = await t.exec(TREE, { timeoutMs: 1500 });
    assert.equal(r.timedOut, true);
    assert.equal(r.code, null);
    const pids = pidsOf(r.stdout);
    assert.equal(pids.length, TREE_PIDS, r.stdout);
    assert.deepEqual(await liveProcesses(pids[0]!, pids), []);
  });

  it('abort kills the tree like a timeout, and resolves only after the kill', async () => {
    const ac = new AbortController();
    let running: string[] = [];
    let out = '';
    const r = await t.exec(TREE, {
      timeoutMs: 60_000,
      signal: ac.signal,
      onStdout: (c) => {
        out += c.toString();
        const pids = pidsOf(out);
        // Positive control: the whole tree runs when the abort comes.
        if (pids.length === TREE_PIDS) {
          void liveProcesses(pids[0]!, pids).then((p) => {
            running = p;
            ac.abort();
          });
        }
      },
    });
    assert.equal(r.timedOut, false);
    assert.ok(r.durationMs < 20_000);
    assert.ok(running.length >= 5, `sh, sh -c, its sleep, setsid sleep and sleep were running: ${running.join('; ')}`);
    const pids = pidsOf(r.stdout);
    assert.deepEqual(await liveProcesses(pids[0]!, pids), []);
  });

  it('an already aborted signal rejects with AbortError and runs nothing', async () => {
    const marker = path.join(dir, `ran-${randomBytes(4).toString('hex')}`);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(t.exec(`touch ${marker}`, { timeoutMs: 10_000, signal: ac.signal }), AbortError);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(existsSync(marker), false);
  });

  it('rejects with ConnectionError closed after close(), and works again after connect()', async () => {
    const local = new LocalTransport('controller');
    await assert.rejects(local.exec('true', { timeoutMs: 5000 }), (e: unknown) => {
      return e instanceof ConnectionError && e.reason === 'closed' && e.host === 'controller';
    });
    await local.connect();
    assert.equal((await local.exec('echo up', { timeoutMs: 5000 })).stdout, 'up\n');
    await local.close();
    assert.equal(local.connected, false);
    await assert.rejects(local.put(__filename, path.join(dir, 'nope')), ConnectionError);
  });

  it('put/get copy every byte, put sets the mode exactly, and no temporary file stays behind', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const src = path.join(dir, 'src.bin');
    await fs.writeFile(src, data);
    const placed = path.join(dir, 'placed', 'script.sh');
    await fs.mkdir(path.dirname(placed));
    const oldMask = process.umask(0o077); // the mode is set explicitly, not filtered by the umask
    try {
      const up = await t.put(src, placed, { mode: 0o750 });
      assert.equal(up.bytes, data.length);
      assert.ok(up.durationMs >= 0);
    } finally {
      process.umask(oldMask);
    }
    assert.equal((await fs.stat(placed)).mode & 0o777, 0o750);
    const back = path.join(dir, 'fetched', 'deeper', 'copy.bin');
    const down = await t.get(placed, back);
    assert.equal(down.bytes, data.length);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    assert.equal(sha(await fs.readFile(back)), sha(data));
    assert.deepEqual(readdirSync(path.dirname(placed)), ['script.sh']);
    assert.deepEqual(readdirSync(path.dirname(back)), ['copy.bin']);
  });

  it('an aborted or failed copy leaves nothing under the target name', async () => {
    const src = path.join(dir, 'abort-src.bin');
    await fs.writeFile(src, randomBytes(1024));
    const target = path.join(dir, 'aborted', 'out.bin');
    await fs.mkdir(path.dirname(target));
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(t.put(src, target, { signal: ac.signal }), { name: 'AbortError' });
    await assert.rejects(t.get(path.join(dir, 'missing'), target), { code: 'ENOENT' });
    assert.deepEqual(readdirSync(path.dirname(target)), []);
  });

  describe('become (sudo from root to nobody: needs no sudoers change, so only when the tests run as root)', () => {
    before(function () {
      if (process.getuid?.() !== 0) this.skip();
    });

    it('sudo -n without a password runs the command as the become user', async () => {
      const r = await t.exec('id -un', { timeoutMs: 10_000, become: { user: 'nobody', method: 'sudo' } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'nobody\n');
    });

    it('with a password, the command gets /dev/null, never the password or our stdin', async () => {
      const password = `pw-${randomBytes(6).toString('hex')}`;
      const become = { user: 'nobody', method: 'sudo' as const, password };
      const r = await t.exec('cat; id -un', { timeoutMs: 10_000, become, stdin: 'not for the command' });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'nobody\n');
      assert.ok(!r.stdout.includes(password) && !r.stderr.includes(password));
    });

    it("a timeout kills the become user's tree too", async () => {
      const r = await t.exec(TREE, { timeoutMs: 2000, become: { user: 'nobody', method: 'sudo' } });
      assert.equal(r.timedOut, true);
      // sudo stopped itself with the frozen command; continued by the kill, it passes on the command's
      // SIGTERM. SIGKILL would mean it stayed stopped until our last-resort kill after the grace time.
      assert.equal(r.signal, 'SIGTERM');
      const pids = pidsOf(r.stdout);
      assert.equal(pids.length, TREE_PIDS, r.stdout);
      assert.deepEqual(await liveProcesses(pids[0]!, pids), []);
    });
  });
});
