/**
 * The OpenSSH transport (system ssh, one ControlMaster per host) against real sshd: exec semantics,
 * timeouts and aborts that kill the remote tree, become, cat-based transfers, reconnect after the
 * master dies or the host drops, and the host-key policy (unknown, changed, accept-new, replace).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AbortError, ConnectionError } from '../../src/core/errors.js';
import { fingerprint } from '../../src/transport/index.js';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { Transports } from '../helpers/openssh.js';

const isReason = (reason: string, re?: RegExp) => (e: unknown) =>
  e instanceof ConnectionError && e.reason === reason && (!re || re.test(e.message));

describe('openssh transport (real ssh and sshd)', function () {
  this.timeout(60_000);
  let fleet: Fleet;
  const ts = new Transports();
  let n = 0;
  const tmpFile = async (content: string) => {
    const f = path.join(fleet.dir, `kh-${++n}`);
    await fs.writeFile(f, content);
    return f;
  };
  const connected = async (name = 'host01', user = 'root') => {
    const t = ts.make(fleet.host(name), { knownHostsFiles: [fleet.knownHostsPath] }, fleet.clientKeyPath, { user });
    await Promise.all([t.connect(), t.connect()]); // concurrent calls share one attempt
    await t.connect(); // and a call while connected is a no-op
    return t;
  };
  const keyOf = (name: string) => {
    const [type, b64] = fleet.host(name).hostPublicKey.split(' ');
    return `${type} ${fingerprint(Buffer.from(b64 ?? '', 'base64'))}`;
  };
  /** PIDs of ssh masters we started for this host (found by its port, unique to this fleet). */
  const masterPids = (name: string) =>
    execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => / -M -S /.test(l) && l.includes(` -p ${fleet.host(name).port} `))
      .map((l) => Number(l.trim().split(/\s+/)[0]));

  before(async function () {
    this.timeout(120_000);
    fleet = await startFleet({ hosts: 3 });
  });
  afterEach(() => ts.closeAll());
  after(async () => {
    await ts.closeAll();
    await fleet?.stop();
  });

  it('runs commands: stdout, stderr without the pid marker, exit codes, stdin, callbacks', async () => {
    const t = await connected();
    assert.equal(t.connected, true);
    assert.equal(t.hostKey, keyOf('host01'));
    const r = await t.exec("printf 'out'; printf 'bad thing\\n' >&2; exit 3", { timeoutMs: 10_000 });
    assert.deepEqual(
      { code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr, out: r.stdoutBytes, err: r.stderrBytes },
      { code: 3, signal: null, stdout: 'out', stderr: 'bad thing\n', out: 3, err: 10 },
    );
    assert.equal((await t.exec('exit 255', { timeoutMs: 10_000 })).code, 255);
    // No exit signal over a multiplexed channel: reported as neither code nor signal (documented).
    const sig = await t.exec('kill -TERM $$', { timeoutMs: 10_000 });
    assert.deepEqual([sig.code, sig.signal, sig.timedOut], [null, null, false]);
    const seen: Buffer[] = [];
    const up = await t.exec('tr a-z A-Z', { timeoutMs: 10_000, stdin: 'hello', onStdout: (c) => seen.push(c) });
    assert.equal(up.stdout, 'HELLO');
    assert.equal(Buffer.concat(seen).toString(), 'HELLO');
    // Many channels at once on the one master.
    const many = await Promise.all(Array.from({ length: 8 }, (_, i) => t.exec(`echo ${i}`, { timeoutMs: 20_000 })));
    assert.deepEqual(
      many.map((x) => x.stdout),
      Array.from({ length: 8 }, (_, i) => `${i}\n`),
    );
    assert.equal(masterPids('host01').length, 1, 'one master per host');
  });

  it('a channel the host refuses (sshd MaxSessions, 10) is a ConnectionError, not a result', async () => {
    const t = await connected('host02');
    const rs = await Promise.allSettled(Array.from({ length: 11 }, () => t.exec('sleep 4', { timeoutMs: 30_000 })));
    const refused = rs.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    assert.equal(refused.length, 1);
    assert.ok(isReason('other', /refused a channel/)(refused[0]), String(refused[0]));
    assert.equal(rs.filter((r) => r.status === 'fulfilled' && r.value.code === 0).length, 10);
  });

  it('a timeout kills the whole remote tree; an abort too; an aborted signal runs nothing', async () => {
    const t = await connected();
    const tag = `fbos${randomBytes(4).toString('hex')}`;
    const started: string[] = [];
    const r = await t.exec(`echo started; sh -c 'sleep 301; : ${tag}' & sleep 300; : ${tag}`, {
      timeoutMs: 1500,
      onStdout: (c) => started.push(c.toString()),
    });
    assert.equal(started.join(''), 'started\n', 'the command really ran before the timeout');
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    const pgrep = `pgrep -f '[${tag[0]}]${tag.slice(1)}' || echo none`;
    assert.equal((await t.exec(pgrep, { timeoutMs: 10_000 })).stdout.trim(), 'none');

    const ac = new AbortController();
    const running = t.exec(`echo started; sleep 302; : ${tag}`, {
      timeoutMs: 60_000,
      signal: ac.signal,
      onStdout: () => ac.abort(),
    });
    const aborted = await running;
    assert.equal(aborted.timedOut, false);
    assert.equal((await t.exec(pgrep, { timeoutMs: 10_000 })).stdout.trim(), 'none');
    await assert.rejects(t.exec('true', { timeoutMs: 1000, signal: ac.signal }), AbortError);
  });

  it('become with a password (never on a command line), and its timeout kills the root process', async () => {
    const t = await connected('host02', fleet.becomeUser.user);
    const become = { user: 'root', method: 'sudo' as const, password: fleet.becomeUser.password };
    const r = await t.exec('id -un; ps -eo args', { timeoutMs: 15_000, become });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[0], 'root');
    assert.ok(!JSON.stringify(r).includes(fleet.becomeUser.password));
    const local = execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' });
    assert.ok(!local.includes(fleet.becomeUser.password), 'not on a local command line either');
    const tag = `fbosb${randomBytes(4).toString('hex')}`;
    const slow = await t.exec(`sh -c 'sleep 300; : ${tag}'`, { timeoutMs: 1500, become });
    assert.equal(slow.timedOut, true);
    const check = await t.exec(`pgrep -f '[${tag[0]}]${tag.slice(1)}' || echo none`, { timeoutMs: 10_000 });
    assert.equal(check.stdout.trim(), 'none');
  });

  it('put is atomic with mode and byte count; get streams to disk; failures are errors', async () => {
    const t = await connected();
    const data = randomBytes(300_000);
    const local = path.join(fleet.dir, 'up.bin');
    await fs.writeFile(local, data);
    const put = await t.put(local, '/tmp/fb-os-up.bin', { mode: 0o640 });
    assert.equal(put.bytes, data.length);
    const st = await t.exec("stat -c '%a %s' /tmp/fb-os-up.bin; ls -a /tmp | grep -c 'fb-os-up.bin.part' || true", {
      timeoutMs: 10_000,
    });
    assert.equal(st.stdout, `640 ${data.length}\n0\n`);
    const back = path.join(fleet.dir, 'sub', 'down.bin');
    const got = await t.get('/tmp/fb-os-up.bin', back);
    assert.equal(got.bytes, data.length);
    assert.equal(
      createHash('sha256')
        .update(await fs.readFile(back))
        .digest('hex'),
      createHash('sha256').update(data).digest('hex'),
    );
    await assert.rejects(
      t.get('/nonexistent/file', path.join(fleet.dir, 'x')),
      /get \/nonexistent\/file.*No such file/,
    );
    assert.deepEqual(
      (await fs.readdir(fleet.dir)).filter((f) => f.includes('.part-')),
      [],
      'no partial download left',
    );
    await assert.rejects(t.put(local, '/nonexistent/dir/f'), /put .*failed/);
    await t.exec('rm -f /tmp/fb-os-up.bin', { timeoutMs: 10_000 });
  });

  it('an aborted put leaves the target as it was and no temporary file', async () => {
    const t = await connected();
    const big = path.join(fleet.dir, 'big.bin');
    await fs.writeFile(big, randomBytes(64 * 1024 * 1024));
    await t.exec("printf 'old' > /tmp/fb-os-target", { timeoutMs: 10_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    await assert.rejects(t.put(big, '/tmp/fb-os-target', { signal: ac.signal }), { name: 'AbortError' });
    // The remote side notices the closed channel a moment later: wait for its cleanup (bounded).
    let left = '';
    for (let i = 0; i < 50; i++) {
      left = (
        await t.exec("cat /tmp/fb-os-target; ls -a /tmp | grep -c 'fb-os-target.part' || true", { timeoutMs: 10_000 })
      ).stdout;
      if (left === 'old0\n') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(left, 'old0\n');
    await assert.rejects(t.get('/tmp/fb-os-target', path.join(fleet.dir, 'y'), { signal: ac.signal }), {
      name: 'AbortError',
    });
    await t.exec('rm -f /tmp/fb-os-target', { timeoutMs: 10_000 });
    await fs.rm(big);
  });

  it('reconnects after its master is killed; a host drop mid-command is ConnectionError closed', async () => {
    const t = await connected('host03');
    const [pid] = masterPids('host03');
    assert.ok(pid, 'the master runs');
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && t.connected; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(t.connected, false);
    await assert.rejects(t.exec('true', { timeoutMs: 5000 }), isReason('closed'));
    await t.connect();
    assert.equal((await t.exec('echo back', { timeoutMs: 10_000 })).stdout, 'back\n');

    const running = t.exec('sleep 30', { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 500));
    await fleet.stopHost('host03');
    await assert.rejects(running, isReason('closed'));
    await assert.rejects(t.connect(), isReason('refused'));
    await fleet.startHost('host03');
    await t.connect();
    assert.equal((await t.exec('echo again', { timeoutMs: 10_000 })).stdout, 'again\n');
    await t.close();
    assert.equal(t.connected, false);
    assert.deepEqual(masterPids('host03'), [], 'close() ends the master');
  });

  it('refuses an unknown host key (mentions --accept-new) and a changed one (man-in-the-middle)', async () => {
    const h = fleet.host('host01');
    // The inventory's words come after ours: its StrictHostKeyChecking=no cannot switch checking off.
    const unknown = ts.make(h, { knownHostsFiles: [await tmpFile('')] }, fleet.clientKeyPath, {
      args: ['-o', 'StrictHostKeyChecking=no'],
    });
    await assert.rejects(unknown.connect(), isReason('hostkey-unknown', /--accept-new/));
    assert.equal(unknown.connected, false);
    const wrong = `[${h.address}]:${h.port} ${fleet.host('host02').hostPublicKey}\n`;
    const file = await tmpFile(wrong);
    const changed = ts.make(h, { knownHostsFiles: [file], acceptNew: true }, fleet.clientKeyPath);
    await assert.rejects(changed.connect(), isReason('hostkey-changed', /SHA256:.*man-in-the-middle/s));
    assert.equal(await fs.readFile(file, 'utf8'), wrong, 'the file must not change');
  });

  it('accept-new records the key in the first known_hosts file only', async () => {
    const h = fleet.host('host02');
    const [first, second] = [await tmpFile(''), await tmpFile('')];
    const t = ts.make(h, { knownHostsFiles: [first, second], acceptNew: true }, fleet.clientKeyPath);
    await t.connect();
    assert.equal(t.hostKey, keyOf('host02'));
    assert.match(await fs.readFile(first, 'utf8'), new RegExp(`^\\[${h.address}\\]:${h.port} ssh-ed25519 `));
    assert.equal(await fs.readFile(second, 'utf8'), '');
    const strict = ts.make(h, { knownHostsFiles: [first] }, fleet.clientKeyPath);
    await strict.connect();
  });

  it('replaceHostKey replaces only this host entry and reports old and new fingerprints', async () => {
    const h = fleet.host('host01');
    const other = fleet.host('host02');
    const keep = `[${other.address}]:${other.port} ${other.hostPublicKey}\n`;
    const file = await tmpFile(`${keep}[${h.address}]:${h.port} ${other.hostPublicKey}\n`);
    const t = ts.make(h, { knownHostsFiles: [file] }, fleet.clientKeyPath);
    const changes: { oldFingerprint: string | null; newFingerprint: string }[] = [];
    await t.connect({ replaceHostKey: (c) => changes.push(c) });
    assert.deepEqual(changes.slice(), [{ oldFingerprint: keyOf('host02'), newFingerprint: keyOf('host01') }]);
    const lines = (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean);
    assert.equal(lines.length, 2);
    assert.equal(`${lines[0]}\n`, keep, 'the other host keeps its entry');
    assert.match(lines[1] ?? '', new RegExp(`^\\[${h.address}\\]:${h.port} ${h.hostPublicKey.split(' ')[0]} `));
    // The same key again: nothing to report and the file stays as it is.
    const before = await fs.readFile(file, 'utf8');
    const again = ts.make(h, { knownHostsFiles: [file] }, fleet.clientKeyPath);
    await again.connect({ replaceHostKey: (c) => changes.push(c) });
    assert.equal(changes.length, 1);
    assert.equal(await fs.readFile(file, 'utf8'), before);
  });
});
