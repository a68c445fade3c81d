/**
 * The OpenSSH transport through the real CLI: a host reached with a user certificate and known only
 * through an SSH CA (@cert-authority), both from the responder's ssh config, is put on OpenSSH by
 * `auto` and runs a runbook (upload, script, fetch) end to end; `--transport openssh` runs a plain host
 * the same way; a post-quantum-only sshd is refused by ssh2 naming the fix and reached through OpenSSH.
 */
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { keygen, run as exec, signKey, startCertFleet } from '../helpers/openssh.js';
import { E2E, onlyRunDir, readJournal, runCli } from './run-cli.js';

const pqKex = async (): Promise<string> => {
  const { stdout } = await exec('ssh', ['-Q', 'kex']);
  const offered = stdout.split('\n');
  return offered.includes('mlkem768x25519-sha256') ? 'mlkem768x25519-sha256' : 'sntrup761x25519-sha512@openssh.com';
};

describe('firebreak run over the OpenSSH transport (real CLI, real ssh and sshd)', function () {
  this.timeout(90_000);
  const work = mkdtempSync(path.join(os.tmpdir(), 'fb-run-openssh-'));
  const f = (name: string) => path.join(work, name);
  const fleets: Fleet[] = [];
  let n = 0;
  const runbook = path.join(E2E, 'runbooks', 'simple.yaml');
  const runIn = (inventory: string, ...extra: string[]) => {
    const runs = f(`runs-${++n}`);
    return runCli(['run', runbook, '-i', inventory, '--runs-dir', runs, ...extra]).then((r) => ({ ...r, runs }));
  };
  after(async () => {
    await Promise.all(fleets.map((x) => x.stop()));
    await fs.rm(work, { recursive: true, force: true });
  });

  it('a certificate host known only through its CA: auto picks OpenSSH, the run succeeds', async function () {
    this.timeout(180_000);
    const fleet = await startCertFleet(work);
    fleets.push(fleet);
    const h = fleet.hosts[0]!;
    await keygen(f('responder'), 'firebreak-test-responder'); // in no authorized_keys: only its certificate lets it in
    await signKey(f('user_ca'), f('responder.pub'), 'responder', 'root');
    const caLine = `@cert-authority [${h.address}]:${h.port} ${readFileSync(f('host_ca.pub'), 'utf8').trim()}\n`;
    writeFileSync(f('known_hosts'), caLine);
    writeFileSync(
      f('ssh_config'),
      [
        'Host cert-host',
        `  HostName ${h.address}`,
        `  Port ${h.port}`,
        '  User root',
        `  IdentityFile ${f('responder')}`,
        `  CertificateFile ${f('responder-cert.pub')}`,
        '  IdentitiesOnly yes',
        '  IdentityAgent none',
        `  UserKnownHostsFile ${f('known_hosts')}`,
        '  GlobalKnownHostsFile /dev/null',
        '',
      ].join('\n'),
    );
    const inventory = f('cert.ini');
    writeFileSync(inventory, `cert-host ansible_ssh_common_args='-F ${f('ssh_config')}'\n`);

    const shown = await runCli(['inventory', 'host', 'cert-host', '-i', inventory]);
    assert.match(
      shown.stdout,
      /transport: openssh \(auto: CertificateFile .*responder-cert\.pub; host known only through @cert-authority/,
    );
    const r = await runIn(inventory);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /cert-host \| collect \| hello \| OK/);
    assert.equal(readFileSync(f('known_hosts'), 'utf8'), caLine, 'nothing recorded beside the CA line');
    const started = readJournal(onlyRunDir(r.runs)).find((e) => e.type === 'host.connected') as
      { hostKey?: string } | undefined;
    if (started?.hostKey) assert.match(started.hostKey, /cert-v01@openssh\.com/);

    const forced = await runIn(inventory, '--transport', 'ssh2');
    assert.equal(forced.code, 2, forced.stdout + forced.stderr);
    assert.match(forced.stderr, /cert-host: the ssh2 transport cannot do .*CertificateFile.*--transport openssh/);
  });

  it('--transport openssh runs a plain fleet like ssh2 does; a post-quantum-only sshd needs it', async function () {
    this.timeout(180_000);
    const kex = await pqKex();
    const fleet = await startFleet({ hosts: 2, sshdConfigExtra: [`KexAlgorithms ${kex}`] });
    fleets.push(fleet);
    const viaSsh2 = await runIn(fleet.inventoryPath, '--known-hosts', fleet.knownHostsPath);
    assert.equal(viaSsh2.code, 3, viaSsh2.stdout);
    assert.match(viaSsh2.stdout, /no matching key exchange algorithm: .*post-quantum.*--transport openssh/);
    const r = await runIn(fleet.inventoryPath, '--known-hosts', fleet.knownHostsPath, '--transport', 'openssh');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const h of fleet.hosts) assert.match(r.stdout, new RegExp(`${h.name} \\| collect \\| hello \\| OK`));
    const inputs = readJournal(onlyRunDir(r.runs)).find((e) => e.type === 'run.inputs') as unknown as {
      inputs: { options?: { transport?: string } };
    };
    assert.equal(inputs.inputs.options?.transport, 'openssh', 'resume reconnects the same way');
  });
});
