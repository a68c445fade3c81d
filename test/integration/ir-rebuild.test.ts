/**
 * rebuild on the drill lab: the hook reinstalls the host (`firebreak lab reset`), the run accepts the
 * new host key for that host only (known_hosts rewritten, `hostkey.replaced` journaled), the quick
 * check runs on the fresh host, and whatever was planted before is gone.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { labUp, readLabState, type LabState } from '../../src/lab/index.js';
import { isRoot, labTempDir, onHost, removeLab } from '../helpers/lab.js';
import { onlyRunDir, readJournal, runCli, FIREBREAK_BIN } from './run-cli.js';

describe('rebuild step on the drill lab', function () {
  this.timeout(120_000);
  let state: LabState | undefined;
  let dir = '';

  before(async function () {
    if (!isRoot) return this.skip();
    dir = labTempDir('rebuild');
    state = await labUp({ dir, hosts: 2, scenarios: [] });
  });

  after(async () => {
    await removeLab(state, dir);
  });

  it('reinstalls the host, accepts its new key for that host only, and finds it clean', async () => {
    const lab = state!;
    const work = path.dirname(dir);
    // The run verifies host keys against its own copy of known_hosts, which `lab reset` does not update:
    // the only way the new key can get in is the rebuild step.
    const knownHosts = path.join(work, 'run_known_hosts');
    writeFileSync(knownHosts, readFileSync(lab.files.knownHosts));
    const inventory = path.join(work, 'inventory.ini');
    writeFileSync(inventory, readFileSync(lab.files.inventory, 'utf8').replace(lab.files.knownHosts, knownHosts));
    const hook = `${process.execPath} ${FIREBREAK_BIN} lab reset {{inventory_hostname}} --dir ${dir}`;
    const runbook = path.join(work, 'rebuild.yaml');
    writeFileSync(
      runbook,
      `name: rebuild-test\nphases:\n  rebuild:\n    steps:\n      - name: reimage\n        rebuild:\n          hook: ${JSON.stringify(hook)}\n          wait_timeout: 60\n          delay: 1\n`,
    );
    await onHost(lab, 'n001', 'echo planted > /etc/planted && useradd -m intruder');
    const oldN2 = readFileSync(knownHosts, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${lab.hosts[1]!.address} `));

    const runs = path.join(work, 'runs');
    const r = await runCli(['run', runbook, '-i', inventory, '--limit', 'n001', '--runs-dir', runs], {
      timeoutMs: 90_000,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);

    const fresh = readLabState(dir).hosts[0]!;
    assert.equal(fresh.generation, 1);
    const lines = readFileSync(knownHosts, 'utf8').split('\n').filter(Boolean);
    assert.deepEqual(
      lines.filter((l) => l.startsWith(`${fresh.address} `)),
      [`${fresh.address} ${fresh.hostKey}`],
      'the new key replaced the old one',
    );
    assert.ok(lines.includes(oldN2!), 'other hosts keep their keys');
    const journal = readJournal(onlyRunDir(runs));
    const replaced = journal.filter((e) => e.type === 'hostkey.replaced');
    assert.equal(replaced.length, 1);
    assert.equal(replaced[0]!.host, 'n001');
    assert.ok(
      journal.some((e) => e.type === 'evidence.stored' && e.host === 'n001'),
      'the quick check collected evidence',
    );
    assert.equal(
      (await onHost(readLabState(dir), 'n001', 'cat /etc/planted 2>/dev/null; id intruder')).code,
      1,
      'the reinstalled host has nothing planted',
    );
  });
});
