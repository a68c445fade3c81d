/**
 * Every input the fuzz harness found crashing or hanging a loader (test/fixtures/fuzz/) now gets a
 * clean InputError or is accepted, well within the harness's time budget. Run in a child process,
 * so a regression that hangs is cut off and reported instead of stalling the suite.
 */
import assert from 'node:assert/strict';
import { fixtureCases } from '../../bench/fuzz/fixtures.js';
import { CaseRunner } from '../../bench/fuzz/runner.js';

/** Well under the harness's 5 s hang budget, with room for a loaded CI machine. */
const BUDGET_MS = 3000;

describe('fuzz fixtures: inputs that once crashed or hung a loader', function () {
  this.timeout(120_000);
  const runner = new CaseRunner({ timeoutMs: 10_000 });
  after(() => runner.close());

  for (const fixture of fixtureCases()) {
    it(`${fixture.loader}/${fixture.file}: a clean error or accepted, within ${BUDGET_MS} ms`, async () => {
      const r = await runner.run(fixture);
      assert.ok(
        r.verdict.outcome === 'clean' || r.verdict.outcome === 'accepted',
        `${r.verdict.outcome}: ${r.verdict.error}`,
      );
      assert.ok(r.ms < BUDGET_MS, `took ${Math.round(r.ms)} ms`);
    });
  }
});
