/**
 * `firebreak run` on an inventory host with `ansible_connection=local`: it runs on the controller
 * itself, never over SSH (its ansible_host/port point at a closed port, so an SSH attempt would make
 * it unreachable), with script upload and fetch as local copies. And a connection type firebreak
 * cannot do is refused before anything runs.
 */
import assert from 'node:assert/strict';
import { existsSync, promises as fs, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { E2E, onlyRunDir, readSummary, runCli } from './run-cli.js';

describe('firebreak run: ansible_connection=local (real CLI, on this machine)', function () {
  this.timeout(60_000);
  let work: string;
  let closedPort: number;

  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-e2e-local-'));
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    closedPort = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
  });
  after(async () => {
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('runs the runbook on the controller: same uid and hostname, no SSH, uploads and fetches locally', async () => {
    const inventory = path.join(work, 'local.ini');
    await fs.writeFile(
      inventory,
      `[controller]\nme ansible_connection=local ansible_host=127.0.0.1 ansible_port=${closedPort}\n`,
    );
    const runs = path.join(work, 'runs');
    const r = await runCli(['run', path.join(E2E, 'runbooks', 'controller.yaml'), '-i', inventory, '--runs-dir', runs]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const runDir = onlyRunDir(runs);
    assert.deepEqual(readSummary(runDir).counts, { hosts: 1, ok: 1, failed: 0, unreachable: 0, aborted: 0 });
    const hostFile = (rel: string) => readFileSync(path.join(runDir, 'hosts', 'me', rel), 'utf8');
    assert.equal(hostFile('01-collect-identity.stdout'), `uid=${process.getuid?.()} host=${os.hostname()} ssh=none\n`);
    const probe = hostFile('02-collect-script-probe.stdout');
    assert.match(probe, /^self=\/\S+\nargc=1\narg=two words\n/);
    assert.match(probe, new RegExp(`\\nhost=${os.hostname()}\\n$`));
    const fetched = hostFile('hostname.txt');
    assert.equal(fetched, readFileSync('/etc/hostname', 'utf8'));
  });

  it('an ansible_connection firebreak cannot use exits 2 naming the host, and nothing runs', async () => {
    const inventory = path.join(work, 'winrm.ini');
    await fs.writeFile(inventory, `win1 ansible_connection=winrm ansible_host=127.0.0.1 ansible_port=${closedPort}\n`);
    const runs = path.join(work, 'runs-winrm');
    const r = await runCli(['run', path.join(E2E, 'runbooks', 'simple.yaml'), '-i', inventory, '--runs-dir', runs]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /win1: ansible_connection=winrm is not supported/);
    assert.equal(existsSync(runs), false, 'a run directory was created');
  });
});
