/**
 * The fuzz harness (bench/fuzz/): it can fail — a thrown RangeError is a crash, a busy loop a hang,
 * both written out for a fixture — and a short seeded run over every loader finds neither. The long
 * run is `npm run fuzz -- --cases 10000`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCampaign } from '../../bench/fuzz/campaign.js';
import { classify } from '../../bench/fuzz/classify.js';
import { makeCase } from '../../bench/fuzz/generate.js';
import { loaderSpec, LOADERS, seedsOf } from '../../bench/fuzz/loaders.js';
import { CaseRunner } from '../../bench/fuzz/runner.js';
import { InputError } from '../../src/core/errors.js';

const bytes = (s: string) => Buffer.from(s);

describe('fuzz harness: it can fail', function () {
  this.timeout(60_000);

  it('classifies an InputError as clean, nothing thrown as accepted, anything else as a crash', () => {
    assert.equal(classify(new InputError('x.yaml:3: bad')).outcome, 'clean');
    assert.equal(classify(undefined).outcome, 'accepted');
    const crash = classify(new RangeError('Maximum call stack size exceeded'));
    assert.deepEqual(crash, { outcome: 'crash', error: 'RangeError: Maximum call stack size exceeded' });
    assert.equal(classify(new SyntaxError('Invalid regular expression: too large')).outcome, 'crash');
    assert.equal(classify('a string').outcome, 'crash');
  });

  it('the runner reports a crash and cuts off a hang, and goes on with a new child', async () => {
    const runner = new CaseRunner({ timeoutMs: 1000 });
    try {
      const run = (text: string) => runner.run({ loader: 'canary', index: 0, bytes: bytes(text), ops: [] });
      assert.equal((await run('CRASH')).verdict.outcome, 'crash');
      const hang = await run('HANG');
      assert.equal(hang.verdict.outcome, 'hang');
      // Cut off at its 1 s budget (timers may fire a fraction of a millisecond before the clock says so).
      assert.ok(hang.ms >= 990 && hang.ms < 5000, `${hang.ms}`);
      assert.equal((await run('fine')).verdict.outcome, 'accepted');
    } finally {
      await runner.close();
    }
  });

  it('a campaign counts and saves crashing and hanging inputs', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'fuzz-test-'));
    try {
      // The canary's seeds are its own cases: generated ones are mutations of `ok`, CRASH and HANG.
      const summary = await runCampaign({ seed: 1, cases: 0, loaders: ['canary'], timeoutMs: 1000, outDir: out });
      assert.equal(summary.cases, 0);
      const runner = await runCampaign({ seed: 1, cases: 10, loaders: ['canary'], timeoutMs: 500, outDir: out });
      const c = runner.perLoader.canary!;
      assert.ok(c.crash > 0 && c.hang > 0, JSON.stringify(c));
      assert.equal(runner.findings.length, c.crash + c.hang);
      assert.ok(readdirSync(path.join(out, 'canary')).some((f) => f.startsWith('crash-seed1-')));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('cases are reproducible from (seed, loader, index)', () => {
    const spec = loaderSpec('runbook');
    const seeds = seedsOf(spec);
    for (const i of [0, 7, 99]) assert.deepEqual(makeCase(spec, seeds, 5, i), makeCase(spec, seeds, 5, i));
    assert.notDeepEqual(makeCase(spec, seeds, 5, 1).bytes, makeCase(spec, seeds, 6, 1).bytes);
  });
});

/** Cases per loader in the suite: enough to catch a regression of a found crash class, short enough for CI (twice, on 2 cores). */
const PER_LOADER = 20;

describe('fuzz: a short seeded run over every loader', function () {
  this.timeout(240_000);

  it(`${PER_LOADER * LOADERS.length} cases, ${PER_LOADER} per loader: no crash, no hang`, async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'fuzz-short-'));
    try {
      const s = await runCampaign({
        seed: 17,
        cases: PER_LOADER * LOADERS.length,
        loaders: LOADERS.map((l) => l.name),
        outDir: out,
      });
      const bad = s.findings.map((f) => `${f.loader} #${f.index} ${f.outcome}: ${f.error} (${f.ops.join(', ')})`);
      assert.deepEqual(bad, [], `reproduce with npm run fuzz -- --seed 17 --loader NAME --case N`);
      assert.equal(s.cases, PER_LOADER * LOADERS.length);
      assert.ok(!existsSync(path.join(out, 'runbook')));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
