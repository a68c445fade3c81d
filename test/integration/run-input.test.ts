/**
 * Input checks and `plan` through the real CLI, against a 20-host fleet whose sshd processes are all
 * stopped and replaced by TCP listeners on the same address:port: `plan` must print the exact commands
 * for every host, and bad input must exit 2 listing every problem — and neither may connect anywhere
 * or create a run directory.
 */
import assert from 'node:assert/strict';
import { existsSync, promises as fs, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stepTypeNames } from '../../src/steps/index.js';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { E2E, REPO, runCli, fleetRun } from './run-cli.js';

const HOSTS = 20;
const HOSTILE = '$(touch /tmp/pwned)';

describe('firebreak plan and bad input, all hosts stopped (real CLI)', function () {
  this.timeout(30_000);
  let fleet: Fleet;
  let work: string;
  const traps: net.Server[] = [];
  let connections = 0;
  const rel = (p: string) => path.relative(REPO, p);

  /** Listen where host `address:port` was (the port can be held briefly after the namespace dies). */
  const trap = async (address: string, port: number): Promise<net.Server> => {
    for (let attempt = 1; ; attempt++) {
      const srv = net.createServer((s) => {
        connections++;
        s.destroy();
      });
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(port, address, () => resolve());
        });
        return srv;
      } catch (err) {
        if (attempt >= 30) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  before(async function () {
    this.timeout(60_000);
    fleet = await startFleet({ hosts: HOSTS });
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-e2e-input-'));
    for (const h of fleet.hosts) await fleet.stopHost(h.name);
    for (const h of fleet.hosts) traps.push(await trap(h.address, h.port));
  });
  after(async () => {
    await Promise.all(traps.map((t) => new Promise((r) => t.close(r))));
    await fleet?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });
  afterEach(() => {
    assert.equal(connections, 0, 'something connected to a host');
  });

  it('the traps would see a connection (control)', async () => {
    const h = fleet.hosts[0]!;
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(h.port, h.address, () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
    for (let i = 0; i < 50 && connections === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(connections, 1);
    connections = 0;
  });

  it('plan prints the exact commands for every host without connecting', async () => {
    const dir = path.join(work, 'scratch');
    const runs = path.join(work, 'runs-plan');
    const r = await runCli([
      'plan',
      path.join(E2E, 'runbooks', 'plan.yaml'),
      '-i',
      fleet.inventoryPath,
      '-e',
      `dir=${dir}`,
      '-e',
      `hostile=${HOSTILE}`,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const block = readFileSync(path.join(E2E, 'plan', 'plan.per-host.txt'), 'utf8');
    const expected =
      `Plan for runbook "e2e-plan" on ${HOSTS} hosts\n\n` +
      fleet.hosts
        .map((h) =>
          block
            .replaceAll('<HOST>', h.name)
            .replaceAll('<ADDRESS>', h.address)
            .replaceAll('<E2E>', E2E)
            .replaceAll('<DIR>', dir),
        )
        .join('') +
      "(RUNID-RANDOM in a temp path: the run's id and a random part per host, chosen when the run starts)\n\n";
    assert.equal(r.stdout, expected);
    assert.equal(r.stderr, '');
    assert.equal(existsSync(runs), false);
    assert.equal(existsSync(dir), false);
  });

  it('an invalid runbook exits 2 listing every problem with file:line:col, and nothing runs', async () => {
    const runs = path.join(work, 'runs-invalid');
    const r = await runCli([...fleetRun(fleet, rel(path.join(E2E, 'runbooks', 'invalid.yaml')), runs), '--yes']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(
      r.stderr,
      readFileSync(path.join(E2E, 'runbooks', 'invalid.expected-stderr.txt'), 'utf8').replaceAll(
        '{{STEP_TYPES}}',
        stepTypeNames().join(', '),
      ),
    );
    assert.equal(r.stdout, '');
    assert.equal(existsSync(runs), false, 'a run directory was created');
  });

  it('a malformed inventory exits 2 naming file:line of every problem, and nothing runs', async () => {
    const runs = path.join(work, 'runs-inventory');
    const r = await runCli([
      'run',
      rel(path.join(E2E, 'runbooks', 'simple.yaml')),
      '-i',
      rel(path.join(E2E, 'inventories', 'malformed.ini')),
      '-i',
      fleet.inventoryPath,
      '--runs-dir',
      runs,
    ]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(r.stderr, readFileSync(path.join(E2E, 'inventories', 'malformed.expected-stderr.txt'), 'utf8'));
    assert.equal(r.stdout, '');
    assert.equal(existsSync(runs), false, 'a run directory was created');
  });

  it('a bad runbook and a bad inventory together: exit 2 listing the problems of both', async () => {
    const runs = path.join(work, 'runs-both');
    const r = await runCli([
      'run',
      rel(path.join(E2E, 'runbooks', 'invalid.yaml')),
      '-i',
      rel(path.join(E2E, 'inventories', 'malformed.ini')),
      '--runs-dir',
      runs,
    ]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const expected = [
      readFileSync(path.join(E2E, 'runbooks', 'invalid.expected-stderr.txt'), 'utf8').replaceAll(
        '{{STEP_TYPES}}',
        stepTypeNames().join(', '),
      ),
      readFileSync(path.join(E2E, 'inventories', 'malformed.expected-stderr.txt'), 'utf8').replace(/^firebreak: /, ''),
    ].join('');
    assert.equal(r.stderr, expected);
    assert.equal(existsSync(runs), false, 'a run directory was created');
  });

  it('an undeclared or missing param exits 2 before anything connects', async () => {
    const runs = path.join(work, 'runs-params');
    const r = await runCli([
      'run',
      path.join(E2E, 'runbooks', 'conditions.yaml'),
      '-i',
      fleet.inventoryPath,
      '--runs-dir',
      runs,
      '-e',
      'nope=1',
    ]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /unknown param "nope"/);
    assert.match(r.stderr, /dir/);
    assert.equal(existsSync(runs), false);
  });
});
