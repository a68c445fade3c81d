/**
 * The ssh2 transport against a real sshd fleet: exec semantics, spilling, timeouts that really kill
 * the remote tree, SFTP round trips, become, and reconnect.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConnectionError } from '../../src/core/errors.js';
import type { Transport } from '../../src/core/transport.js';
import { SshSession } from '../../src/transport/index.js';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { execContract } from './exec-contract.js';

describe('ssh transport (real sshd)', function () {
  this.timeout(30_000);
  let fleet: Fleet;
  let session: SshSession;
  const open: Transport[] = [];

  const connectTo = async (name: string, extra: { user?: string } = {}) => {
    const h = fleet.host(name);
    const t = session.transport({
      name,
      address: h.address,
      port: h.port,
      user: extra.user ?? 'root',
      privateKeyFile: fleet.clientKeyPath,
    });
    open.push(t);
    await t.connect();
    return t;
  };

  before(async function () {
    this.timeout(60_000);
    fleet = await startFleet({ hosts: 20 });
    session = new SshSession({ knownHostsFile: fleet.knownHostsPath, agent: false });
  });
  after(async () => {
    await Promise.all(open.map((t) => t.close()));
    await session?.close();
    await fleet?.stop();
  });

  it('connects to all 20 hosts in parallel and runs a command on each', async () => {
    const ts = await Promise.all(fleet.hosts.map((h) => connectTo(h.name)));
    const rs = await Promise.all(ts.map((t) => t.exec('echo $(id -un)@$HOME', { timeoutMs: 10_000 })));
    for (const r of rs) assert.equal(r.stdout, 'root@/root\n');
  });

  execContract(
    (n) => connectTo(`host0${n}`),
    () => fleet.dir,
  );

  it('timeout kills the remote command and its children (checked with pgrep on the host)', async () => {
    const t = await connectTo('host05');
    const tag = `fbsleep${randomBytes(4).toString('hex')}`;
    // A child in the background and one in the foreground, both tagged so pgrep can find them.
    const r = await t.exec(`sh -c 'sleep 300; : ${tag}' & sh -c 'sleep 301; : ${tag}'`, { timeoutMs: 1000 });
    assert.equal(r.timedOut, true);
    assert.equal(r.code, null);
    const check = await t.exec(`pgrep -f '[${tag[0]}]${tag.slice(1)}' || echo none`, { timeoutMs: 10_000 });
    assert.equal(check.stdout.trim(), 'none');
  });

  it('abort kills the remote command like a timeout', async () => {
    const t = await connectTo('host06');
    const tag = `fbabort${randomBytes(4).toString('hex')}`;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    const r = await t.exec(`sh -c 'sleep 300; : ${tag}'`, { timeoutMs: 60_000, signal: ac.signal });
    assert.equal(r.timedOut, false);
    const check = await t.exec(`pgrep -f '[${tag[0]}]${tag.slice(1)}' || echo none`, { timeoutMs: 10_000 });
    assert.equal(check.stdout.trim(), 'none');
  });

  it('an abort while the channel is still opening kills the command too, long before its timeout', async () => {
    const t = await connectTo('host06');
    const tag = `fbearly${randomBytes(4).toString('hex')}`;
    const ac = new AbortController();
    const started = Date.now();
    // The abort comes right after exec() is called: the channel is not open and the PID not known yet.
    const run = t.exec(`trap '' TERM; sh -c 'trap "" TERM; sleep 300; : ${tag}'`, {
      timeoutMs: 30_000,
      signal: ac.signal,
    });
    ac.abort();
    const r = await run;
    assert.equal(r.timedOut, false);
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms: it waited for the timeout`);
    const check = await t.exec(`pgrep -f '[${tag[0]}]${tag.slice(1)}' || echo none`, { timeoutMs: 10_000 });
    assert.equal(check.stdout.trim(), 'none');
  });

  it('put/get round trip keeps every byte (hash check)', async () => {
    const t = await connectTo('host07');
    const local = path.join(fleet.dir, 'payload.bin');
    const data = randomBytes(3 * 1024 * 1024 + 17);
    await fs.writeFile(local, data);
    const up = await t.put(local, '/tmp/fb-payload.bin', { mode: 0o600 });
    assert.equal(up.bytes, data.length);
    const remoteHash = await t.exec('sha256sum /tmp/fb-payload.bin; stat -c %a /tmp/fb-payload.bin', {
      timeoutMs: 10_000,
    });
    const [sum, mode] = remoteHash.stdout.trim().split('\n');
    assert.equal(sum?.split(' ')[0], createHash('sha256').update(data).digest('hex'));
    assert.equal(mode, '600');
    const back = path.join(fleet.dir, 'got', 'payload.bin');
    const down = await t.get('/tmp/fb-payload.bin', back);
    assert.equal(down.bytes, data.length);
    assert.deepEqual(await fs.readFile(back), data);
    await t.exec('rm -f /tmp/fb-payload.bin', { timeoutMs: 10_000 });
  });

  it('a failed get leaves no file behind', async () => {
    const t = await connectTo('host08');
    const dir = path.join(fleet.dir, 'got-missing');
    await assert.rejects(t.get('/nonexistent/file', path.join(dir, 'x')));
    assert.deepEqual(await fs.readdir(dir), []);
  });

  it('become with a password works and the password appears in no process and no result', async () => {
    const t = await connectTo('host09', { user: fleet.becomeUser.user });
    const become = { user: 'root', method: 'sudo' as const, password: fleet.becomeUser.password };
    const r = await t.exec('id -un; ps -eo args', { timeoutMs: 15_000, become });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n')[0], 'root');
    assert.ok(r.stdout.includes('sudo'), 'ps output should show the sudo process');
    assert.ok(!JSON.stringify(r).includes(fleet.becomeUser.password));
    const wrong = await t.exec('id -un', { timeoutMs: 15_000, become: { ...become, password: 'wrong-password' } });
    assert.notEqual(wrong.code, 0);
    assert.ok(!wrong.stdout.includes('root'));
    assert.ok(!JSON.stringify(wrong).includes('wrong-password'));
  });

  // To a non-root user the kill script runs as that user: it freezes the command, sudo (root) stops
  // itself along with it, and only the connecting user may continue sudo (no stopped sudo may remain).
  for (const [host, user, what] of [
    ['host10', 'root', 'the root-owned remote process'],
    ['host13', 'nobody', 'a non-root become user and leaves no stopped sudo behind'],
  ] as const) {
    it(`become timeout kills ${what}`, async () => {
      const t = await connectTo(host, { user: fleet.becomeUser.user });
      const tag = `fbbecome${randomBytes(4).toString('hex')}`;
      const become = { user, method: 'sudo' as const, password: fleet.becomeUser.password };
      const r = await t.exec(`sh -c 'sleep 300; : ${tag}'`, { timeoutMs: 1500, become });
      assert.equal(r.timedOut, true);
      const check = await t.exec(`pgrep -f '[${tag[0]}]${tag.slice(1)}' || echo none`, { timeoutMs: 10_000 });
      assert.equal(check.stdout.trim(), 'none');
    });
  }

  it('become without a password uses sudo -n and fails fast instead of prompting', async () => {
    const t = await connectTo('host11', { user: fleet.becomeUser.user });
    const r = await t.exec('id -un', { timeoutMs: 10_000, become: { user: 'root', method: 'sudo' } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /password is required/);
  });

  it('a dropped connection is reported, and connect() reconnects', async () => {
    const t = await connectTo('host12');
    await fleet.stopHost('host12');
    // The client notices the dead peer asynchronously; give it a moment (bounded).
    for (let i = 0; i < 50 && t.connected; i++) await new Promise((r) => setTimeout(r, 20));
    await assert.rejects(
      t.exec('true', { timeoutMs: 5000 }),
      (e: unknown) => e instanceof ConnectionError && e.reason === 'closed',
    );
    assert.equal(t.connected, false);
    await assert.rejects(t.connect(), (e: unknown) => e instanceof ConnectionError && e.reason === 'refused');
    await fleet.startHost('host12');
    await t.connect();
    const r = await t.exec('echo back', { timeoutMs: 5000 });
    assert.equal(r.stdout, 'back\n');
  });

  it('maps auth failure and unknown user to reason auth', async () => {
    const h = fleet.host('host13');
    const t = session.transport({
      name: 'host13',
      address: h.address,
      port: h.port,
      user: 'nobody-here',
      privateKeyFile: fleet.clientKeyPath,
    });
    await assert.rejects(t.connect(), (e: unknown) => e instanceof ConnectionError && e.reason === 'auth');
  });
});
