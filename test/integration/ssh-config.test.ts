/**
 * A responder's ~/.ssh/config, through the real CLI on real sshd: hosts named only by their ssh
 * aliases (HostName, Port, User, IdentityFile with tokens, Include, Match originalhost) are reached as
 * `ssh ALIAS` would reach them; every UserKnownHostsFile is read and --accept-new records into the
 * first one only; a host known only through @cert-authority makes `auto` choose OpenSSH, and forcing
 * ssh2 on it is refused with the fix named. `inventory host` shows all of it before anything connects.
 */
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { E2E, runCli } from './run-cli.js';

describe('firebreak and ~/.ssh/config (real CLI, real sshd, ssh -G)', function () {
  this.timeout(60_000);
  let fleet: Fleet;
  let work: string;
  let config: string;
  let inventory: string;
  let n = 0;
  const simple = path.join(E2E, 'runbooks', 'simple.yaml');
  const known = (hostIndex: number) => {
    const h = fleet.hosts[hostIndex]!;
    return `[${h.address}]:${h.port} ${h.hostPublicKey}\n`;
  };
  const run = (...extra: string[]) => {
    const runs = path.join(work, `runs-${++n}`);
    return runCli(['run', simple, '-i', inventory, '--runs-dir', runs, ...extra]).then((r) => ({ ...r, runs }));
  };

  before(async function () {
    this.timeout(60_000);
    fleet = await startFleet({ hosts: 2 });
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-sshcfg-e2e-'));
    const [a, b] = fleet.hosts as [Fleet['hosts'][0], Fleet['hosts'][0]];
    // IdentityFile with %r: resolved per host, as ssh would.
    symlinkSync(fleet.clientKeyPath, path.join(work, 'key-root'));
    writeFileSync(
      path.join(work, 'more.conf'),
      `Match originalhost alias-b\n  HostName ${b.address}\n  Port ${b.port}\n  User root\n  IdentityFile ${work}/key-%r\n`,
    );
    config = path.join(work, 'config');
    writeFileSync(
      config,
      [
        `Include ${work}/more.conf`,
        `Host alias-a`,
        `  HostName ${a.address}`,
        `  Port ${a.port}`,
        `  User root`,
        `  IdentityFile ${work}/key-%r`,
        `Host alias-*`,
        `  UserKnownHostsFile ${work}/kh-first ${work}/kh-second`,
        `  GlobalKnownHostsFile ${work}/kh-global`,
        '',
      ].join('\n'),
    );
    inventory = path.join(work, 'inventory.ini');
    writeFileSync(inventory, `[aliases]\nalias-a\nalias-b\n\n[aliases:vars]\nansible_ssh_common_args='-F ${config}'\n`);
  });
  after(async () => {
    await fleet?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('inventory host shows the connection ssh -G resolves, nothing connects', async () => {
    const r = await runCli(['inventory', 'host', 'alias-b', '-i', inventory, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const c = (JSON.parse(r.stdout) as { connection: Record<string, unknown> }).connection;
    const b = fleet.hosts[1]!;
    assert.equal(c.address, b.address);
    assert.equal(c.port, b.port);
    assert.equal(c.user, 'root');
    assert.deepEqual(c.identities, [`${work}/key-root`]);
    assert.deepEqual(c.knownHostsFiles, [`${work}/kh-first`, `${work}/kh-second`]);
    assert.deepEqual(c.globalKnownHostsFiles, [`${work}/kh-global`]);
    assert.match(String(c.transport), /^ssh2 \(auto/);
  });

  it('reaches hosts by alias; keys found in the second user file and the global file', async () => {
    writeFileSync(path.join(work, 'kh-first'), '');
    writeFileSync(path.join(work, 'kh-second'), known(0));
    writeFileSync(path.join(work, 'kh-global'), known(1));
    const r = await run();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const h of ['alias-a', 'alias-b']) assert.match(r.stdout, new RegExp(`${h} \\| collect \\| hello \\| OK`));
    assert.equal(readFileSync(path.join(work, 'kh-first'), 'utf8'), '', 'nothing new was recorded');
  });

  it('--accept-new records unknown keys into the first user file only', async () => {
    for (const f of ['kh-first', 'kh-second', 'kh-global']) writeFileSync(path.join(work, f), '');
    const refused = await run();
    assert.equal(refused.code, 3, refused.stdout);
    assert.match(refused.stdout, new RegExp(`not known .*add it to ${work}/kh-first`));
    const r = await run('--accept-new');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const first = readFileSync(path.join(work, 'kh-first'), 'utf8').split('\n').filter(Boolean).sort();
    assert.deepEqual(first, [known(0).trim(), known(1).trim()].sort());
    assert.equal(readFileSync(path.join(work, 'kh-second'), 'utf8'), '');
    assert.equal(readFileSync(path.join(work, 'kh-global'), 'utf8'), '');
  });

  it('a key @revoked in any file refuses the host even when another file trusts it', async () => {
    const keyB = known(1).trim().split(' ').slice(1).join(' ');
    writeFileSync(path.join(work, 'kh-first'), known(0) + known(1));
    writeFileSync(path.join(work, 'kh-global'), `@revoked * ${keyB}\n`);
    const r = await run();
    assert.equal(r.code, 3, r.stdout);
    assert.match(r.stdout, new RegExp(`alias-b .*@revoked in ${work}/kh-global`));
    assert.match(r.stdout, /alias-a \| collect \| hello \| OK/);
    writeFileSync(path.join(work, 'kh-global'), '');
  });

  it('a host known only through @cert-authority needs OpenSSH: auto says so, ssh2 is refused naming the fix', async () => {
    writeFileSync(path.join(work, 'kh-first'), known(0));
    writeFileSync(
      path.join(work, 'kh-second'),
      `@cert-authority [${fleet.hosts[1]!.address}]:* ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhvcml6b250YWwtY2Etb25seS1mb3ItdGVzdHMK\n`,
    );
    const shown = await runCli(['inventory', 'host', 'alias-b', '-i', inventory]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      new RegExp(`transport: openssh \\(auto: host known only through @cert-authority \\(${work}/kh-second:1\\)`),
    );
    const forced = await run('--transport', 'ssh2');
    assert.equal(forced.code, 2, forced.stdout + forced.stderr);
    assert.match(forced.stderr, /alias-b: the ssh2 transport cannot do .*@cert-authority.*--transport openssh/);
    assert.deepEqual(await fs.readdir(forced.runs).catch(() => []), [], 'refused before any run directory');
  });
});
