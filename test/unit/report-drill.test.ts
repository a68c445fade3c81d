/** A drill's scorecard.json in a run directory becomes the report's Drill section. */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildReportModel, renderReport } from '../../src/report/index.js';

const FIXTURE = path.join(import.meta.dirname, '../fixtures/report/run-basic');

describe('report: drill section from scorecard.json', () => {
  let dir = '';
  beforeEach(() => {
    dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'fb-rd-')), 'run');
    cpSync(FIXTURE, dir, { recursive: true });
  });
  afterEach(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('is absent from a plain run', async () => {
    const model = await buildReportModel(dir);
    assert.equal(model.drill, undefined);
    assert.doesNotMatch(renderReport(model, 'md'), /^## Drill/m);
  });

  it('shows verdict, scores, faults, hypothesis, thresholds, strengths and improvements', async () => {
    writeFileSync(
      path.join(dir, 'scorecard.json'),
      JSON.stringify({
        drill: { name: 'outbound-ssh', seed: 7 },
        verdict: {
          result: 'fail',
          reasons: ['coverage 8/9 is below 1'],
          checks: [{ name: 'min_coverage', limit: 1, actual: 0.89, ok: false }],
        },
        detection: { overall: { found: 8, planted: 9 } },
        falsePositives: { count: 0 },
        containment: { stats: { median: 1.2, p95: 1.9, max: 2 }, uncontained: [] },
        attackTraffic: { afterIsolation: 0 },
        resilience: [
          { kind: 'down', host: 'n004', when: 'before', status: 'injected', outcome: 'unreachable', handled: true },
        ],
        hypothesis: { before: [{ probe: 'ssh-serves', ok: true }], after: [{ probe: 'no-attack-traffic', ok: true }] },
        strengths: ['every compromised host isolated'],
        improvements: ['collect the crontabs: <b>cron</b> indicators were missed'],
      }),
    );
    const model = await buildReportModel(dir);
    assert.equal(model.drill?.verdict, 'fail');
    const md = renderReport(model, 'md');
    assert.match(md, /^## Drill/m);
    assert.match(md, /Verdict: \*\*fail\*\*/);
    assert.match(md, /\| detection coverage \| 8\/9 \|/);
    assert.match(md, /\| fault down on n004 \(before\) \| injected, unreachable \| handled \|/);
    assert.match(md, /\| threshold min\\_coverage \| 0\.89 \(limit 1\) \| fail \|/);
    assert.match(md, /- every compromised host isolated/);
    const html = renderReport(model, 'html');
    assert.match(html, /<h3>Areas to improve<\/h3>/);
    assert.ok(html.includes('&lt;b&gt;cron&lt;/b&gt;'), 'scorecard text is escaped');
  });
});
