/**
 * Rendering: the Markdown report of the recorded run against its snapshot
 * (test/fixtures/report/run-basic.expected.md; `UPDATE_SNAPSHOTS=1` rewrites it), the HTML page's
 * self-containedness and sections, `--templates` overrides, the drill partial, the helpers, and a
 * 500-host run rendering in seconds with its per-host detail collapsed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/core/index.js';
import { buildReportModel, renderReport, type ReportModel } from '../../src/report/index.js';
import { formatBytes, formatDuration, formatUtc, plural } from '../../src/report/format.js';
import { precompileShipped, type PrecompiledSpecs } from '../../src/report/precompiled.js';
import { copyRunFixture, FIXED, REPORT_FIXTURES } from './report-fixture.js';
import { recap, SyntheticRun } from './report-synthetic.js';

const SNAPSHOT = path.join(REPORT_FIXTURES, 'run-basic.expected.md');
const SECTIONS = [
  'summary',
  'timeline',
  'hosts',
  'findings',
  'evidence',
  'actions',
  'metrics',
  'failures',
  'lessons',
  'host-details',
];

describe('report rendering of the recorded run', () => {
  let model: ReportModel;
  let fixture: ReturnType<typeof copyRunFixture>;
  let tmp: string;

  before(async () => {
    fixture = copyRunFixture('run-basic');
    model = await buildReportModel(fixture.dir, FIXED);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'fb-report-tpl-'));
  });
  after(() => {
    fixture.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('Markdown matches the snapshot', () => {
    const md = renderReport(model, 'md');
    if (process.env.UPDATE_SNAPSHOTS === '1' || !existsSync(SNAPSHOT)) writeFileSync(SNAPSHOT, md);
    assert.equal(md, readFileSync(SNAPSHOT, 'utf8'), 'the report changed: review, then UPDATE_SNAPSHOTS=1 to accept');
  });

  it('Markdown has every section, in order', () => {
    const md = renderReport(model, 'md');
    const headings = md
      .split('\n')
      .filter((l) => l.startsWith('## '))
      .map((l) => l.slice(3));
    assert.deepEqual(headings, [
      'Summary',
      'Timeline',
      'Hosts',
      'Findings',
      'Evidence register',
      'Actions taken',
      'Metrics',
      'Failures',
      'Lessons learned and action items',
      'Host details',
    ]);
  });

  it('HTML is one self-contained page: inline CSS, no scripts, nothing fetched, every section and both charts', () => {
    const html = renderReport(model, 'html');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.doesNotMatch(html, /<script|<link|<iframe|<object|<embed|@import|url\(/i);
    assert.doesNotMatch(html, /\s(src|srcset|poster|data)\s*=/i, 'no attribute that loads something');
    for (const href of html.match(/href="[^"]*"/g) ?? []) assert.match(href, /^href="#[a-z0-9-]+"$/, href);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    assert.match(html, /<style>[\s\S]*@media print[\s\S]*<\/style>/);
    for (const id of SECTIONS) assert.match(html, new RegExp(`<section id="${id}">`), id);
    assert.match(html, /<svg [^>]*class="chart timeline"/);
    assert.match(html, /<svg [^>]*class="chart severity"/);
    for (const h of ['n001', 'n002', 'n003'])
      assert.match(html, new RegExp(`<details class="host" id="host-${h}" open>`));
    assert.match(html, /<tr id="ev-000007">/, 'findings link to register rows');
  });

  it('JSON is the model', () => {
    assert.deepEqual(JSON.parse(renderReport(model, 'json')), JSON.parse(JSON.stringify(model)));
  });

  it("the build's precompiled templates render exactly what compiling them at run time does", () => {
    const mod = { exports: {} as PrecompiledSpecs };
    new Function('module', precompileShipped())(mod);
    const specs = mod.exports;
    assert.ok(Object.keys(specs.md).length > 5 && Object.keys(specs.html).length > 5);
    for (const format of ['md', 'html'] as const) {
      assert.equal(
        renderReport(model, format, { precompiled: specs }),
        renderReport(model, format, { precompiled: null }),
        format,
      );
    }
    // A text without an entry (an edited or overriding template) is compiled, never served stale.
    const broken = {
      md: Object.fromEntries(Object.keys(specs.md).map((k) => [k, specs.html[Object.keys(specs.html)[0]!]!])),
      html: {},
    };
    assert.throws(() => renderReport(model, 'md', { precompiled: broken as PrecompiledSpecs }));
    assert.equal(
      renderReport(model, 'md', { precompiled: { md: {}, html: {} } }),
      renderReport(model, 'md', { precompiled: null }),
    );
  });

  it('--templates overrides a partial or the main template by name; the rest stays shipped', () => {
    const dir = path.join(tmp, 'over');
    mkdirSync(path.join(dir, 'partials'), { recursive: true });
    writeFileSync(
      path.join(dir, 'partials', 'footer.md.hbs'),
      'Custom footer for {{header.incidentId}} {{header.title}}\n',
    );
    writeFileSync(
      path.join(dir, 'metrics.html.hbs'),
      '<section id="metrics"><p>contain p95 {{duration metrics.collect.p95Ms}}</p></section>\n',
    );
    const md = renderReport(model, 'md', { templatesDir: dir });
    assert.ok(md.endsWith('Custom footer for INC-0001 Outbound SSH from lab hosts\n'));
    assert.ok(md.includes('## Evidence register'), 'shipped partials are still used');
    const html = renderReport(model, 'html', { templatesDir: dir });
    assert.ok(html.includes('<section id="metrics"><p>contain p95 2.2 s</p></section>'));

    writeFileSync(path.join(dir, 'report.md.hbs'), '# {{header.runId}}\n{{> footer}}');
    assert.equal(
      renderReport(model, 'md', { templatesDir: dir }),
      '# 20261121T201156Z-report-basic\nCustom footer for INC-0001 Outbound SSH from lab hosts\n',
    );
  });

  it('--templates problems are input errors naming the file', () => {
    const bad = path.join(tmp, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, 'footer.hbs'), 'x');
    assert.throws(
      () => renderReport(model, 'md', { templatesDir: bad }),
      (e: unknown) => e instanceof InputError && /footer\.hbs/.test(e.message) && /<name>\.md\.hbs/.test(e.message),
    );
    rmSync(path.join(bad, 'footer.hbs'));
    writeFileSync(path.join(bad, 'summary.md.hbs'), '{{#if x}}unclosed');
    assert.throws(
      () => renderReport(model, 'md', { templatesDir: bad }),
      (e: unknown) => e instanceof InputError && e.message.includes(path.join(bad, 'summary.md.hbs')),
    );
    writeFileSync(path.join(bad, 'summary.md.hbs'), '{{> no-such-partial}}');
    assert.throws(
      () => renderReport(model, 'md', { templatesDir: bad }),
      (e: unknown) => e instanceof InputError && /no-such-partial/.test(e.message),
    );
    assert.throws(() => renderReport(model, 'md', { templatesDir: path.join(tmp, 'missing') }), InputError);
  });

  it('a drill section is rendered by its own partial only when present', async () => {
    const plain = renderReport(model, 'md');
    assert.ok(!plain.includes('## Drill'));
    const drilled = await buildReportModel(fixture.dir, {
      ...FIXED,
      drill: {
        verdict: 'fail',
        summary: 'coverage below threshold',
        scores: [{ label: 'detection coverage', value: '9/10', status: 'fail' }],
      },
    });
    const md = renderReport(drilled, 'md');
    assert.ok(
      md.includes(
        '## Drill\n\nVerdict: **fail**\n\ncoverage below threshold\n\n| score | value | status |\n|---|---|---|\n| detection coverage | 9/10 | fail |\n',
      ),
    );
    assert.ok(md.indexOf('## Drill') > md.indexOf('## Lessons learned'));
    assert.match(renderReport(drilled, 'html'), /<section id="drill">[\s\S]*detection coverage/);
  });

  it('without notes the lessons section shows a visible placeholder', async () => {
    const bare = copyRunFixture('run-basic');
    try {
      rmSync(path.join(bare.dir, 'notes.yaml'));
      const m = await buildReportModel(bare.dir, FIXED);
      assert.match(renderReport(m, 'md'), /\*\*TO DO: no lessons learned yet\.\*\*/);
      assert.match(
        renderReport(m, 'html'),
        /<div class="placeholder"><strong>To do: no lessons learned yet\.<\/strong>/,
      );
    } finally {
      bare.cleanup();
    }
  });
});

describe('report helpers', () => {
  it('format durations, UTC times, sizes and plurals', () => {
    assert.deepEqual([0, 850, 1500, 59_949, 65_000, 3_725_000, null].map(formatDuration), [
      '0 ms',
      '850 ms',
      '1.5 s',
      '59.9 s',
      '1 min 05 s',
      '1 h 02 min',
      '—',
    ]);
    assert.equal(formatUtc('2024-01-31T10:15:00.123Z'), '2024-01-31 10:15:00 UTC');
    assert.equal(formatUtc('garbage'), '—');
    assert.deepEqual([512, 1536, 3 * 1024 * 1024].map(formatBytes), ['512 B', '1.5 KiB', '3.0 MiB']);
    assert.deepEqual(
      [plural(1, 'host'), plural(3, 'host'), plural(2, 'retry', 'retries'), plural([1], 'item')],
      ['1 host', '3 hosts', '2 retries', '1 item'],
    );
  });
});

describe('report of 500 hosts', function () {
  this.timeout(60_000);

  it('builds and renders in seconds; summary first, per-host detail collapsed', async () => {
    const r = new SyntheticRun();
    const hosts = Array.from({ length: 500 }, (_, i) => `h${String(i + 1).padStart(3, '0')}`);
    r.push(0, {
      type: 'run.started',
      runId: 'big',
      runbook: 'triage',
      runDir: '/x',
      hosts,
      phases: ['isolate', 'collect'],
      forks: 100,
    });
    for (const phase of ['isolate', 'collect'] as const) {
      const base = phase === 'isolate' ? 0 : 20_000;
      r.push(base, { type: 'phase.started', phase, batch: 1, batches: 1, hosts });
      hosts.forEach((host, i) => {
        r.push(base + 1, { type: 'host.started', host, phase });
        for (let k = 0; k < 5; k++) {
          const start = base + 10 + i * 10 + k * 2000;
          r.step({
            host,
            phase,
            step: `${phase} step ${k}`,
            index: k + 1,
            type: phase === 'isolate' ? (k === 0 ? 'isolate' : 'shell') : 'collect',
            start,
            end: start + 1500,
            status: 'ok',
            artifacts: phase === 'collect' ? [r.artifact(`x/${k}`, `cmd ${k}`)] : [],
            findings:
              phase === 'collect' && k === 0
                ? [{ kind: 'network.listener', severity: 'info', summary: 'tcp 0.0.0.0:22', detail: {} }]
                : [],
          });
        }
        r.push(base + 15_000 + i, { type: 'host.finished', host, phase, state: 'ok' });
      });
      r.push(base + 19_000, { type: 'phase.finished', phase, batch: 1, batches: 1, ok: hosts, failed: [] });
    }
    r.push(40_000, {
      type: 'run.finished',
      exitCode: 0,
      durationMs: 40_000,
      recap: hosts.map((h) => recap(h, 'ok', { ok: 10 })),
    });
    const w = r.write();
    try {
      const started = Date.now();
      const model = await buildReportModel(w.dir, FIXED);
      const md = renderReport(model, 'md');
      const html = renderReport(model, 'html');
      const ms = Date.now() - started;
      assert.ok(ms < 10_000, `took ${ms} ms`);
      assert.equal(model.metrics.contain.count, 500);
      assert.equal(model.findings.total, 500);
      assert.ok(html.indexOf('id="summary"') < html.indexOf('id="host-details"'));
      assert.equal(
        (html.match(/<details class="host" id="host-h\d{3}">/g) ?? []).length,
        500,
        'every host section is collapsed',
      );
      assert.match(html, /<details class="gantt">/, 'the 500-row timeline is collapsed too');
      assert.match(html, /<details class="finding-group">/, '500 info findings are collapsed');
      assert.ok(md.includes('| … | 450 more: see the HTML or JSON report | |'), 'Markdown caps long finding lists');
    } finally {
      w.cleanup();
    }
  });
});
