/**
 * ansible.cfg through the real CLI on a loopback sshd fleet: an ansible.cfg in the working directory
 * alone supplies the inventory, remote_user, private_key_file, forks (25 stays 25) and timeout of a
 * run whose inventory names nothing but addresses and ports; the command line still wins over it;
 * `host_key_checking = False` is ignored with a warning unless --trust-inventory-host-key-options,
 * which makes it trust-on-first-use that records the keys.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { E2E, onlyRunDir, readJournal, runCli, type CliResult } from './run-cli.js';

const HOSTS = 3;
const RUNBOOK = path.join(E2E, 'runbooks', 'simple.yaml');

describe('firebreak run: settings from ./ansible.cfg (real CLI, real sshd)', function () {
  this.timeout(90_000);
  let fleet: Fleet;
  let work: string;
  let n = 0;

  /** `firebreak run` in `work` with its ansible.cfg, no agent, no ANSIBLE_* of ours, a clean HOME. */
  const run = async (...extra: string[]): Promise<CliResult & { runDir: string }> => {
    const runs = path.join(work, `runs-${++n}`);
    const env = Object.fromEntries(
      Object.keys(process.env)
        .filter((k) => k.startsWith('ANSIBLE_'))
        .map((k) => [k, undefined]),
    );
    const r = await runCli(['run', RUNBOOK, '--runs-dir', runs, ...extra], {
      cwd: work,
      env: { ...env, HOME: path.join(work, 'home'), SSH_AUTH_SOCK: undefined },
    });
    return { ...r, runDir: onlyRunDir(runs) };
  };
  const writeCfg = (...extra: string[]) =>
    writeFileSync(
      path.join(work, 'ansible.cfg'),
      [
        '[defaults]',
        'inventory = inv/hosts.ini  ; relative to this file',
        'remote_user = root',
        'private_key_file = keys/fleet_key',
        'forks = 25',
        'timeout = 7',
        ...extra,
      ].join('\n') + '\n',
    );
  const runInputs = (runDir: string) => {
    const e = readJournal(runDir).find((x) => x.type === 'run.inputs');
    return (e?.inputs as { options: Record<string, Record<string, unknown> | number> }).options;
  };

  before(async function () {
    this.timeout(60_000);
    fleet = await startFleet({ hosts: HOSTS });
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-e2e-ansible-cfg-'));
    mkdirSync(path.join(work, 'inv'));
    mkdirSync(path.join(work, 'keys'), { mode: 0o700 });
    mkdirSync(path.join(work, 'home'), { mode: 0o700 });
    copyFileSync(fleet.clientKeyPath, path.join(work, 'keys', 'fleet_key'));
    // Addresses and ports only: the user and the key can only come from ansible.cfg.
    writeFileSync(
      path.join(work, 'inv', 'hosts.ini'),
      fleet.hosts.map((h) => `${h.name} ansible_host=${h.address} ansible_port=${h.port}`).join('\n') + '\n',
    );
  });
  after(async () => {
    await fleet?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('takes inventory, remote_user, private_key_file, forks=25 and timeout from ./ansible.cfg', async () => {
    writeCfg();
    const r = await run('--known-hosts', fleet.knownHostsPath);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const h of fleet.hosts) assert.match(r.stdout, new RegExp(`${h.name} \\| collect \\| hello \\| OK`));
    const cfg = path.join(work, 'ansible.cfg');
    assert.match(
      r.stderr,
      new RegExp(`ansible config: inventory from ${cfg}:2 \\(\\[defaults\\] inventory\\); remote_user from ${cfg}:3`),
    );
    const o = runInputs(r.runDir);
    assert.equal(o.forks, 25);
    assert.deepEqual(o.connection, { user: 'root', privateKeyFile: path.join(work, 'keys', 'fleet_key') });
    assert.equal((o.ssh as Record<string, unknown>).connectTimeoutMs, 7000);
  });

  it('plan and inventory list take the inventory from ./ansible.cfg too; -i replaces it', async () => {
    writeCfg();
    const opts = { cwd: work, env: { HOME: path.join(work, 'home'), ANSIBLE_INVENTORY: undefined } };
    const plan = await runCli(['plan', RUNBOOK], opts);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    for (const h of fleet.hosts) assert.match(plan.stdout, new RegExp(`\\b${h.name}\\b`));
    const other = path.join(work, 'inv', 'other.ini');
    writeFileSync(other, 'only-me ansible_host=127.0.0.1\n');
    const list = await runCli(['inventory', 'list', '-i', other], opts);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /hosts \(1\):\s+only-me/);
  });

  it('the command line wins: --forks 100 (the default) and -u stay as given', async () => {
    writeCfg();
    const r = await run('--known-hosts', fleet.knownHostsPath, '--forks', '100', '-u', 'nosuchuser');
    // The user from the command line, not ansible.cfg's root: no host lets it in.
    assert.equal(r.code, 3, r.stdout + r.stderr);
    for (const h of fleet.hosts) assert.match(r.stdout, new RegExp(`${h.name} \\| collect \\| UNREACHABLE`));
    const o = runInputs(r.runDir);
    assert.equal(o.forks, 100);
    assert.equal((o.connection as Record<string, unknown>).user, 'nosuchuser');
  });

  it('host_key_checking = False is ignored with a warning naming the file and line: unknown keys are refused', async () => {
    writeCfg('host_key_checking = False');
    const kh = path.join(work, 'known_hosts_ignored');
    writeFileSync(kh, '', { mode: 0o600 });
    const r = await run('--known-hosts', kh);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /ansible\.cfg:7 \(\[defaults\] host_key_checking\) turns host_key_checking off: ignored/);
    assert.match(r.stdout, /is not known/);
    assert.equal(readFileSync(kh, 'utf8'), '');
  });

  it('with --trust-inventory-host-key-options it is trust-on-first-use: keys accepted and recorded, said once', async () => {
    writeCfg('host_key_checking = False');
    const kh = path.join(work, 'known_hosts_tofu');
    writeFileSync(kh, '', { mode: 0o600 });
    const r = await run('--known-hosts', kh, '--trust-inventory-host-key-options');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stderr.match(/host keys of unknown hosts will be accepted and recorded/g)?.length, 1, r.stderr);
    const recorded = readFileSync(kh, 'utf8').split('\n').filter(Boolean).sort();
    assert.deepEqual(recorded, fleet.hosts.map((h) => `[${h.address}]:${h.port} ${h.hostPublicKey}`).sort());
    assert.equal((runInputs(r.runDir).ssh as Record<string, unknown>).acceptNew, true);
  });
});
