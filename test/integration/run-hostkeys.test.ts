/**
 * Host key policy through the real CLI on a 20-host loopback sshd fleet: an unknown key is refused
 * (pointing at --accept-new), --accept-new records every key, and a changed key is refused as a possible
 * man-in-the-middle even with --accept-new, without touching the other hosts or the file.
 */
import assert from 'node:assert/strict';
import { promises as fs, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { E2E, onlyRunDir, readJournal, readSummary, runCli } from './run-cli.js';

const HOSTS = 20;

describe('firebreak run: host keys on 20 hosts (real CLI, real sshd)', function () {
  this.timeout(45_000);
  let fleet: Fleet;
  let work: string;
  let n = 0;
  const run = (knownHosts: string, ...extra: string[]) => {
    const runs = path.join(work, `runs-${++n}`);
    const args = [
      'run',
      path.join(E2E, 'runbooks', 'simple.yaml'),
      '-i',
      fleet.inventoryPath,
      '--known-hosts',
      knownHosts,
      '--runs-dir',
      runs,
      ...extra,
    ];
    return runCli(args).then((r) => ({ ...r, runDir: onlyRunDir(runs) }));
  };
  /** `[address]:port key` lines, order-free. */
  const entries = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .sort();
  const expected = () => fleet.hosts.map((h) => `[${h.address}]:${h.port} ${h.hostPublicKey}`).sort();

  before(async function () {
    this.timeout(60_000);
    fleet = await startFleet({ hosts: HOSTS });
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-e2e-keys-'));
  });
  after(async () => {
    await fleet?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('refuses unknown host keys, says how to accept them, exits 3, records nothing', async () => {
    const kh = path.join(work, 'known_hosts_empty');
    await fs.writeFile(kh, '', { mode: 0o600 });
    const r = await run(kh);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    for (const h of fleet.hosts) {
      assert.match(
        r.stdout,
        new RegExp(
          `${h.name} \\| collect \\| UNREACHABLE: .*host key of \\[${h.address.replace(/\./g, '\\.')}\\]:${h.port} is not known.*--accept-new`,
        ),
      );
    }
    assert.doesNotMatch(r.stdout, /hello from/);
    const summary = readSummary(r.runDir);
    assert.deepEqual(summary.counts, { hosts: HOSTS, ok: 0, failed: 0, unreachable: HOSTS, aborted: 0 });
    assert.equal(readFileSync(kh, 'utf8'), '');
  });

  it('--accept-new trusts and records every key; the next run works without it', async () => {
    const kh = path.join(work, 'known_hosts_tofu');
    await fs.writeFile(kh, '', { mode: 0o600 });
    const r = await run(kh, '--accept-new');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(entries(kh), expected());
    for (const h of fleet.hosts) assert.match(r.stdout, new RegExp(`${h.name} \\| collect \\| hello \\| OK`));

    // Again without --accept-new, with --json: stdout is exactly the journal's events, as NDJSON.
    const again = await run(kh, '--json');
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.deepEqual(entries(kh), expected(), 'a run without --accept-new changed the file');
    const events = again.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { type: string });
    assert.deepEqual(events, readJournal(again.runDir));
    assert.equal(events.filter((e) => e.type === 'step.finished').length, HOSTS);
    assert.match(again.stderr, /RECAP/);
  });

  it('refuses a changed host key as a possible man-in-the-middle, also with --accept-new', async () => {
    const victim = fleet.host('host05');
    const other = fleet.host('host06');
    const kh = path.join(work, 'known_hosts_changed');
    const original = readFileSync(fleet.knownHostsPath, 'utf8');
    const tampered = original.replace(
      `[${victim.address}]:${victim.port} ${victim.hostPublicKey}`,
      `[${victim.address}]:${victim.port} ${other.hostPublicKey}`,
    );
    assert.notEqual(tampered, original);
    await fs.writeFile(kh, tampered, { mode: 0o600 });

    const r = await run(kh, '--accept-new');
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /host05 \| collect \| UNREACHABLE: .*REMOTE HOST IDENTIFICATION HAS CHANGED.*man-in-the-middle/,
    );
    assert.match(r.stdout, /failed or unreachable: host05\n/);
    const summary = readSummary(r.runDir);
    assert.deepEqual(summary.counts, { hosts: HOSTS, ok: HOSTS - 1, failed: 0, unreachable: 1, aborted: 0 });
    assert.equal(summary.recap.find((x) => x.host === 'host05')?.state, 'unreachable');
    assert.equal(readFileSync(kh, 'utf8'), tampered, 'the known_hosts file was rewritten');
  });

  it("an inventory's StrictHostKeyChecking=no and UserKnownHostsFile=/dev/null are ignored, loudly, unless the responder says so", async () => {
    const victim = fleet.host('host05');
    const other = fleet.host('host06');
    const kh = path.join(work, 'known_hosts_weak');
    await fs.writeFile(
      kh,
      readFileSync(fleet.knownHostsPath, 'utf8').replace(
        `[${victim.address}]:${victim.port} ${victim.hostPublicKey}`,
        `[${victim.address}]:${victim.port} ${other.hostPublicKey}`,
      ),
      { mode: 0o600 },
    );
    const inventory = path.join(work, 'weak.ini');
    await fs.writeFile(
      inventory,
      `${readFileSync(fleet.inventoryPath, 'utf8')}\n[weak]\nhost05\n\n[weak:vars]\nansible_ssh_common_args='-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no'\n`,
    );
    const weakRun = (...extra: string[]) => {
      const runs = path.join(work, `runs-${++n}`);
      const args = ['run', path.join(E2E, 'runbooks', 'simple.yaml'), '-i', inventory, '--limit', 'host05'];
      return runCli([...args, '--known-hosts', kh, '--runs-dir', runs, ...extra]);
    };

    const refused = await weakRun();
    assert.equal(refused.code, 3, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /host05 \| collect \| UNREACHABLE: .*REMOTE HOST IDENTIFICATION HAS CHANGED/);
    assert.match(
      refused.stderr,
      /warning: host05: the inventory asks for StrictHostKeyChecking=no, UserKnownHostsFile=\/dev\/null, .*ignored/,
    );

    const honoured = await weakRun('--trust-inventory-host-key-options');
    assert.equal(honoured.code, 0, honoured.stdout + honoured.stderr);
    assert.match(honoured.stderr, /warning: host05: .* is honoured .*NOT verified/);
  });
});
