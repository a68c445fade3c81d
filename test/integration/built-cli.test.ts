/**
 * The built CLI (`bin/firebreak.js` → the esbuild bundle in dist/bundle/, made by `npm run build`,
 * which `npm test` runs first): what users and the benchmark run, and what the other end-to-end tests
 * start too (run-cli.ts); this one checks what bundling could break: files found relative to the
 * package (templates, scenarios, runbooks, package.json), TypeScript runbooks loaded through tsx, the
 * precompiled report templates, and a whole run on real sshd.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { E2E, onlyRunDir, readSummary, REPO, runCli, fleetRun } from './run-cli.js';

const built = (args: string[]) => runCli(args, { built: true });

describe('the built CLI (bin/firebreak.js, bundled)', function () {
  this.timeout(60_000);
  let fleet: Fleet;
  let work: string;

  before(async function () {
    assert.ok(
      existsSync(path.join(REPO, 'dist/bundle/main.js')),
      'dist/bundle/main.js is missing: run `npm run build`',
    );
    fleet = await startFleet({ hosts: 3 });
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-built-'));
  });
  after(async () => {
    await fleet?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('reports the package version and finds its shipped files', async () => {
    const version = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal((await built(['--version'])).stdout.trim(), version);
    const scenarios = await built(['lab', 'scenarios']);
    assert.equal(scenarios.code, 0, scenarios.stderr);
    assert.match(scenarios.stdout, /^outbound-ssh-bruteforce /m);
    assert.match((await built(['demo', '--help'])).stdout.replace(/\s+/g, ''), /runbooks\/outbound-ssh-targeted\.yaml/);
  });

  it('plans a TypeScript runbook', async () => {
    const r = await built([
      'plan',
      path.join(REPO, 'runbooks/example.ts'),
      '-i',
      fleet.inventoryPath,
      '--limit',
      fleet.hosts[0]!.name,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Plan for runbook "suspicious-login-sweep" on 1 host/);
  });

  it('refuses an invalid runbook with the same messages as the sources (zod, trimmed by the bundler, still speaks English)', async () => {
    const args = ['plan', path.join(E2E, 'runbooks', 'invalid.yaml'), '-i', fleet.inventoryPath];
    const [fromBundle, fromSources] = await Promise.all([built(args), runCli(args)]);
    assert.equal(fromBundle.code, 2, fromBundle.stderr);
    assert.match(fromBundle.stderr, /Invalid option: expected one of "low"/);
    assert.equal(fromBundle.stderr, fromSources.stderr);
  });

  it('runs a runbook on real sshd and writes the run directory and its report', async () => {
    const runs = path.join(work, 'runs');
    const r = await built(fleetRun(fleet, path.join(E2E, 'runbooks', 'simple.yaml'), runs));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const runDir = onlyRunDir(runs);
    assert.deepEqual(readSummary(runDir).counts, { hosts: 3, ok: 3, failed: 0, unreachable: 0, aborted: 0 });
    for (const h of fleet.hosts) assert.match(r.stdout, new RegExp(`${h.name} \\| collect \\| hello \\| OK`));
    const md = readFileSync(path.join(runDir, 'report.md'), 'utf8');
    assert.match(md, /^# Run of e2e-simple$/m);
    assert.match(md, /^## Summary$/m);
    assert.match(readFileSync(path.join(runDir, 'report.html'), 'utf8'), /^<!DOCTYPE html>/);
  });
});
