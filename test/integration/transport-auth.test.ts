/**
 * Authentication paths against real sshd: encrypted key (passphrase asked once for many hosts),
 * password, ssh-agent; plus the connect timeout against a server that never speaks SSH.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConnectionError } from '../../src/core/errors.js';
import { SshSession } from '../../src/transport/index.js';
import { startFleet, type Fleet } from '../helpers/fleet.js';

describe('ssh transport: authentication and timeouts (real sshd)', function () {
  this.timeout(30_000);
  let fleet: Fleet;
  let agent: ChildProcess | undefined;

  before(async function () {
    this.timeout(60_000);
    fleet = await startFleet({ hosts: 4 });
  });
  after(async () => {
    if (agent?.pid && agent.exitCode === null) agent.kill('SIGTERM');
    await fleet?.stop();
  });

  it('asks the passphrase of an encrypted key once for many hosts', async () => {
    const key = path.join(fleet.dir, 'encrypted_key');
    copyFileSync(fleet.clientKeyPath, key);
    execFileSync('ssh-keygen', ['-q', '-p', '-N', 'test-passphrase', '-f', key], { stdio: 'ignore' });
    const asked: string[] = [];
    const session = new SshSession({
      knownHostsFile: fleet.knownHostsPath,
      agent: false,
      passphrase: async (p) => (asked.push(p), new Promise((r) => setTimeout(() => r('test-passphrase'), 50))),
    });
    const ts = fleet.hosts.map((h) =>
      session.transport({ name: h.name, address: h.address, port: h.port, user: 'root', privateKeyFile: key }),
    );
    await Promise.all(ts.map((t) => t.connect()));
    assert.deepEqual(asked, [key]);
    await Promise.all(ts.map((t) => t.close()));
    const wrong = new SshSession({
      knownHostsFile: fleet.knownHostsPath,
      agent: false,
      passphrase: async () => 'nope',
    });
    const h = fleet.hosts[0]!;
    await assert.rejects(
      wrong.transport({ name: h.name, address: h.address, port: h.port, user: 'root', privateKeyFile: key }).connect(),
      (e: unknown) =>
        e instanceof ConnectionError &&
        e.reason === 'auth' &&
        /wrong passphrase/.test(e.message) &&
        !e.message.includes('nope'),
    );
  });

  it('logs in with a password', async () => {
    const h = fleet.hosts[1]!;
    const session = new SshSession({ knownHostsFile: fleet.knownHostsPath, agent: false });
    const t = session.transport({
      name: h.name,
      address: h.address,
      port: h.port,
      user: fleet.becomeUser.user,
      password: fleet.becomeUser.password,
      privateKeyFile: path.join(fleet.dir, 'missing-key'),
    });
    await assert.rejects(
      t.connect(),
      (e: unknown) => e instanceof ConnectionError && e.reason === 'auth',
      'a missing explicit key file is an error',
    );
    const t2 = session.transport({
      name: h.name,
      address: h.address,
      port: h.port,
      user: fleet.becomeUser.user,
      password: fleet.becomeUser.password,
    });
    await t2.connect();
    assert.equal((await t2.exec('id -un', { timeoutMs: 5000 })).stdout, `${fleet.becomeUser.user}\n`);
    await t2.close();
    const bad = session.transport({
      name: h.name,
      address: h.address,
      port: h.port,
      user: fleet.becomeUser.user,
      password: 'wrong',
    });
    await assert.rejects(
      bad.connect(),
      (e: unknown) => e instanceof ConnectionError && e.reason === 'auth' && !e.message.includes('wrong'),
    );
  });

  it('authenticates through ssh-agent', async () => {
    const sock = path.join(fleet.dir, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      try {
        execFileSync('ssh-add', [fleet.clientKeyPath], {
          env: { ...process.env, SSH_AUTH_SOCK: sock },
          stdio: 'ignore',
        });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const h = fleet.hosts[2]!;
    const session = new SshSession({ knownHostsFile: fleet.knownHostsPath, agent: sock });
    // No key file given and HOME's default identities are not authorized: only the agent can work.
    const t = session.transport({ name: h.name, address: h.address, port: h.port, user: 'root' });
    await t.connect();
    assert.equal((await t.exec('echo agent', { timeoutMs: 5000 })).stdout, 'agent\n');
    await t.close();
  });

  it('times out against a server that never speaks SSH', async () => {
    const sockets: net.Socket[] = [];
    const srv = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const session = new SshSession({ knownHostsFile: fleet.knownHostsPath, agent: false, connectTimeoutMs: 700 });
      const t = session.transport({
        name: 'silent',
        address: '127.0.0.1',
        port,
        user: 'root',
        privateKeyFile: fleet.clientKeyPath,
      });
      const t0 = Date.now();
      await assert.rejects(t.connect(), (e: unknown) => e instanceof ConnectionError && e.reason === 'timeout');
      assert.ok(Date.now() - t0 < 5000);
    } finally {
      for (const s of sockets) s.destroy();
      srv.close();
    }
  });
});
