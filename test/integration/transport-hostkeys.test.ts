/**
 * Host key policy against real sshd: unknown refused, changed refused (MITM message), accept-new
 * records (also with many hosts in parallel), hashed entries accepted, ProxyJump through a fleet host.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConnectionError } from '../../src/core/errors.js';
import type { ConnectionSpec } from '../../src/core/host.js';
import { SshSession, type SshOptions } from '../../src/transport/index.js';
import { startFleet, type Fleet } from '../helpers/fleet.js';

describe('ssh transport: host keys and jump hosts (real sshd)', function () {
  this.timeout(30_000);
  let fleet: Fleet;
  let n = 0;
  const sessions: SshSession[] = [];

  const spec = (name: string, extra: Partial<ConnectionSpec> = {}): ConnectionSpec => {
    const h = fleet.host(name);
    return { name, address: h.address, port: h.port, user: 'root', privateKeyFile: fleet.clientKeyPath, ...extra };
  };
  const newSession = (o: SshOptions) => {
    const s = new SshSession({ agent: false, ...o });
    sessions.push(s);
    return s;
  };
  const tmpFile = async (content: string) => {
    const f = path.join(fleet.dir, `kh-${++n}`);
    await fs.writeFile(f, content);
    return f;
  };
  const isReason = (reason: string, re?: RegExp) => (e: unknown) =>
    e instanceof ConnectionError && e.reason === reason && (!re || re.test(e.message));

  before(async function () {
    this.timeout(60_000);
    fleet = await startFleet({ hosts: 20 });
  });
  after(async () => {
    await Promise.all(sessions.map((s) => s.close()));
    await fleet?.stop();
  });

  it('refuses an unknown host key and mentions --accept-new', async () => {
    const t = newSession({ knownHostsFile: await tmpFile('') }).transport(spec('host01'));
    await assert.rejects(t.connect(), isReason('hostkey-unknown', /--accept-new/));
    assert.equal(t.connected, false);
  });

  it('refuses a changed host key as a possible man-in-the-middle, also with accept-new', async () => {
    const h = fleet.host('host02');
    const other = fleet.host('host03').hostPublicKey; // a valid key, but not host02's
    const file = await tmpFile(`[${h.address}]:${h.port} ${other}\n`);
    const t = newSession({ knownHostsFile: file, acceptNew: true }).transport(spec('host02'));
    await assert.rejects(t.connect(), isReason('hostkey-changed', /man-in-the-middle.*|SHA256:/s));
    assert.equal(await fs.readFile(file, 'utf8'), `[${h.address}]:${h.port} ${other}\n`, 'file must not change');
  });

  it('accept-new records keys of many hosts connecting in parallel, once each', async () => {
    const file = await tmpFile('# existing comment without newline');
    const s = newSession({ knownHostsFile: file, acceptNew: true });
    const ts = fleet.hosts.map((h) => s.transport(spec(h.name)));
    await Promise.all(ts.map((t) => t.connect()));
    await Promise.all(ts.map((t) => t.close()));
    const lines = (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean);
    assert.equal(lines.length, 1 + fleet.hosts.length);
    for (const h of fleet.hosts) assert.ok(lines.includes(`[${h.address}]:${h.port} ${h.hostPublicKey}`), h.name);
    // And a strict session now trusts them.
    const strict = newSession({ knownHostsFile: file }).transport(spec('host04'));
    await strict.connect();
    await strict.close();
  });

  it('accepts a hashed known_hosts entry (ssh-keygen -H)', async () => {
    const h = fleet.host('host05');
    const file = await tmpFile(`[${h.address}]:${h.port} ${h.hostPublicKey}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    assert.match(await fs.readFile(file, 'utf8'), /^\|1\|/);
    const t = newSession({ knownHostsFile: file }).transport(spec('host05'));
    await t.connect();
    const r = await t.exec('echo ok', { timeoutMs: 5000 });
    assert.equal(r.stdout, 'ok\n');
    await t.close();
  });

  it('refuses a key marked @revoked', async () => {
    const h = fleet.host('host06');
    const file = await tmpFile(`@revoked * ${h.hostPublicKey}\n[${h.address}]:${h.port} ${h.hostPublicKey}\n`);
    const t = newSession({ knownHostsFile: file }).transport(spec('host06'));
    await assert.rejects(t.connect(), isReason('hostkey-changed', /revoked/));
  });

  it('reaches a host through a jump host (spec.jump), one jump connection shared', async () => {
    const s = newSession({ knownHostsFile: fleet.knownHostsPath });
    const j = fleet.host('host07');
    const jump = [`root@${j.address}:${j.port}`];
    const ts = ['host08', 'host09', 'host10'].map((name) => s.transport(spec(name, { jump })));
    await Promise.all(ts.map((t) => t.connect()));
    const rs = await Promise.all(ts.map((t) => t.exec('hostname >/dev/null && echo ok', { timeoutMs: 5000 })));
    for (const r of rs) assert.equal(r.stdout, 'ok\n');
    // On the jump host: exactly one session from us for all three targets.
    const direct = s.transport(spec('host07'));
    await direct.connect();
    const sessionsOnJump = await direct.exec("ps -eo args | grep -cE '^sshd: root(@notty)?$'", { timeoutMs: 5000 });
    assert.equal(sessionsOnJump.stdout.trim(), '2'); // the shared jump connection + this direct one
    await Promise.all([...ts, direct].map((t) => t.close()));
  });

  it('reads ProxyJump from ansible_ssh_common_args and verifies the jump host key too', async () => {
    const j = fleet.host('host11');
    const args = `-o ProxyJump=root@${j.address}:${j.port} -o ServerAliveInterval=5`;
    const ok = newSession({ knownHostsFile: fleet.knownHostsPath }).transport(spec('host12', { sshCommonArgs: args }));
    await ok.connect();
    const direct = newSession({ knownHostsFile: fleet.knownHostsPath }).transport(spec('host11'));
    await direct.connect();
    const onJump = await direct.exec("ps -eo args | grep -cE '^sshd: root(@notty)?$'", { timeoutMs: 5000 });
    assert.equal(onJump.stdout.trim(), '2', 'the ProxyJump connection + this direct one');
    await Promise.all([ok.close(), direct.close()]);
    const t = fleet.host('host12');
    const onlyTarget = await tmpFile(`[${t.address}]:${t.port} ${t.hostPublicKey}\n`);
    const bad = newSession({ knownHostsFile: onlyTarget }).transport(spec('host12', { sshCommonArgs: args }));
    await assert.rejects(bad.connect(), isReason('jump', /not known/));
  });

  it('reports an unreachable jump host with reason jump', async () => {
    const t = newSession({ knownHostsFile: fleet.knownHostsPath, connectTimeoutMs: 3000 }).transport(
      spec('host13', { jump: ['root@127.0.0.1:1'] }),
    );
    await assert.rejects(t.connect(), isReason('jump', /refused/));
  });
});
