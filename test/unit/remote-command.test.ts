/**
 * The remote wrapper, run through the local /bin/sh: it reports its PID, runs the command under sh,
 * keeps quoting intact, and the kill script takes down the whole tree (also setsid'd children).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  PidMarkerParser,
  killCommand,
  killTreeScript,
  pidMarker,
  stdinScript,
  wrapCommand,
} from '../../src/transport/remote-command.js';
import { StreamCapture } from '../../src/transport/capture.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('remote command wrapper', () => {
  it('prints the pid marker first and keeps the command intact', () => {
    const cmd = `printf '%s|' "it's" "$((1+2))" 'a b'; echo "\\$HOME stays"`;
    const out = execFileSync('/bin/sh', ['-c', `${wrapCommand(cmd, 'n1')} 2>&1`], { encoding: 'utf8' });
    assert.match(out, new RegExp(`^${pidMarker('n1')}\\d+\\nit's\\|3\\|a b\\|\\$HOME stays\\n$`));
  });

  it("prints the marker and returns sh's own exit code when the command does not parse", () => {
    let out = '';
    let status = 0;
    try {
      execFileSync('/bin/sh', ['-c', `${wrapCommand('echo ok; if then', 'n4')} 2>&1`], { encoding: 'utf8' });
    } catch (err) {
      out = String((err as { stdout?: string }).stdout);
      status = (err as { status: number }).status;
    }
    assert.match(out, new RegExp(`^${pidMarker('n4')}\\d+\\n`));
    assert.match(out, /[Ss]yntax error/);
    assert.equal(status, 2);
  });

  it('builds sudo with the password on stdin only', () => {
    const w = wrapCommand('id', 'n2', { user: 'root', method: 'sudo', password: 's3cret' });
    assert.ok(!w.includes('s3cret'));
    assert.match(w, /sudo -S -k -p/);
    assert.match(wrapCommand('id', 'n3', { user: 'postgres', method: 'sudo' }), /sudo -n -u postgres/);
  });

  it('a command sent on stdin is in no command line, runs whole, and leaves the rest of stdin to it', () => {
    const secret = 'Vaulted-9f2c';
    // Multi-line, quotes, a trailing newline, bytes beyond ASCII: the byte count must be exact.
    const cmd = `echo "token=${secret}" 'é'\nread -r rest; echo "then: $rest"\n`;
    const nonce = 'c0ffee00c0ffee00';
    const run = (become?: { user: string; method: 'sudo'; password?: string }, before = '') => {
      const wrapped = wrapCommand(cmd, nonce, become, { onStdin: true });
      assert.ok(!wrapped.includes(secret), 'the secret is not in the command line');
      return spawnSync('/bin/sh', ['-c', wrapped], {
        input: Buffer.concat([
          Buffer.from(before),
          stdinScript(cmd, nonce),
          Buffer.from(become?.password ? '' : 'its own input\n'),
        ]),
        encoding: 'utf8',
      });
    };
    const plain = run();
    assert.equal(plain.stdout, `token=${secret} é\nthen: its own input\n`, plain.stderr);
    if (process.getuid?.() !== 0) return;
    // As root sudo asks no password: the password line sudo left unread is skipped, never run.
    const root = run({ user: 'root', method: 'sudo', password: 'pw-never-run' }, 'pw-never-run\n');
    assert.equal(root.stdout, `token=${secret} é\nthen: \n`, root.stderr);
    assert.doesNotMatch(root.stderr, /pw-never-run/);
    const nopass = run({ user: 'root', method: 'sudo' });
    assert.equal(nopass.stdout, `token=${secret} é\nthen: its own input\n`, nopass.stderr);
  });

  it('strips the marker from stderr across chunk boundaries, keeping other bytes', () => {
    const p = new PidMarkerParser('abc');
    const all = Buffer.from(`noise\n${pidMarker('abc')}4242\nreal error\n`);
    const out = [p.push(all.subarray(0, 9)), p.push(all.subarray(9, 20)), p.push(all.subarray(20)), p.flush()];
    assert.equal(Buffer.concat(out).toString(), 'noise\nreal error\n');
    assert.equal(p.pid, 4242);
  });

  it('kill script ends the process group and a setsid child', async function () {
    this.timeout(15_000);
    // Run the wrapper in its own session like sshd does, with one child escaping into a new session.
    const child = spawn('setsid', ['/bin/sh', '-c', wrapCommand('sleep 300 & setsid sleep 301 & sleep 302', 'k1')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const parser = new PidMarkerParser('k1');
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (c: Buffer) => (parser.push(c), parser.pid && resolve())),
    );
    await new Promise((r) => setTimeout(r, 300));
    const pid = parser.pid as number;
    const tree = execFileSync('sh', ['-c', `ps -e -o pid= -o ppid= | awk '$2==${pid}{print $1}'`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
    assert.equal(tree.length, 3);
    execFileSync('/bin/sh', ['-c', killTreeScript(pid)]);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual([pid, ...tree].filter(alive), []);
  });

  it('a kill of a command left running touches its PID only while that PID still carries the nonce', async function () {
    this.timeout(15_000);
    const started = (args: string[], env?: NodeJS.ProcessEnv) =>
      spawn('setsid', args, { stdio: 'ignore', env: { ...process.env, ...env } }).pid as number;
    const nonce = 'a1b2c3d4e5f60718';
    // The wrapper shell (nonce in its command line) and what a shell exec'd (nonce only in its environment).
    const wrapped = started(['/bin/sh', '-c', wrapCommand('sleep 300; true', nonce)]);
    const execd = started(['sleep', '301'], { FIREBREAK_CMD_ID: nonce });
    const stranger = started(['sleep', '302']);
    await new Promise((r) => setTimeout(r, 300));
    try {
      const kill = (pid: number, carries: string) =>
        execFileSync('/bin/sh', ['-c', killCommand(pid, 'ffff0000ffff0000', undefined, { onlyIfCarries: carries })], {
          stdio: 'ignore',
        });
      kill(stranger, nonce); // a reused PID: someone else's process now
      kill(wrapped, 'ffffffffffffffff');
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual([stranger, wrapped].filter(alive), [stranger, wrapped], 'nothing without the nonce is killed');
      kill(wrapped, nonce);
      kill(execd, nonce);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual([wrapped, execd].filter(alive), []);
      assert.throws(() => killCommand(wrapped, 'n', undefined, { onlyIfCarries: "x' ; reboot" }), /hex/);
    } finally {
      for (const pid of [wrapped, execd, stranger]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('refuses to kill pid 0/1', () => {
    assert.throws(() => killTreeScript(1));
    assert.throws(() => killTreeScript(0));
  });
});

describe('stream capture', () => {
  it('keeps the head in memory and the whole stream on disk once past the cap', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fb-cap-'));
    try {
      const c = new StreamCapture(10, path.join(dir, 'x.stdout'));
      c.write(Buffer.from('0123456'));
      assert.equal(c.spilled, false);
      c.write(Buffer.from('789abcdef'));
      c.write(Buffer.from('XYZ'));
      await c.finish();
      assert.equal(c.bytes, 19);
      assert.equal(c.text(), '0123456789');
      assert.equal(readFileSync(path.join(dir, 'x.stdout'), 'utf8'), '0123456789abcdefXYZ');
      const d = new StreamCapture(4);
      d.write(Buffer.from('abcdefgh'));
      await d.finish();
      assert.deepEqual([d.bytes, d.text(), d.spilled], [8, 'abcd', false]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
