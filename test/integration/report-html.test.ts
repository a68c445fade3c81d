/**
 * The report of a real run: `firebreak run` on a two-host drill lab (collect: true, hostile strings
 * planted on a host and in the runbook) writes report.md and report.html; the HTML opens in headless
 * Chromium with no console errors and no request but the page itself, shows every section and the SVG
 * timeline, and hostile strings show as text (a screenshot goes to test-artifacts/report.png). Then
 * one flipped byte in an artifact makes `firebreak report` say the evidence failed, and exit 5.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { labUp, type LabState } from '../../src/lab/index.js';
import { buildReportModel, renderReport } from '../../src/report/index.js';
import { isRoot, labTempDir, onHost, removeLab } from '../helpers/lab.js';
import { FIXED } from '../unit/report-fixture.js';
import { HOSTILE, hostileFiles, hostileRun } from '../unit/report-synthetic.js';
import { onlyRunDir, REPO, runCli } from './run-cli.js';
import { needProgram } from '../helpers/programs.js';

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
const ARTIFACTS = path.join(REPO, 'test-artifacts');

const RUNBOOK = `name: report-html
phases:
  collect:
    - name: evidence
      collect: true
    - name: "echo <b>hostile</b> | step"
      shell: printf '%s\\n' '<script>window.__pwned=1</script>' 'a|b'
    - name: fails on purpose
      shell: echo '<img src=x onerror=window.__pwned=2>' >&2; exit 3
`;

interface PageWatch {
  page: Page;
  requests: string[];
  problems: string[];
}

/** A page that records every request, console error, page error and dialog. */
async function watchedPage(browser: Browser): Promise<PageWatch> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const w: PageWatch = { page, requests: [], problems: [] };
  page.on('request', (r) => w.requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') w.problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => w.problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    w.problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return w;
}

describe('HTML report of a real lab run in Chromium', function () {
  this.timeout(180_000);
  let state: LabState | undefined;
  let dir = '';
  let runDir = '';
  let browser: Browser | undefined;

  before(async function () {
    if (!isRoot) {
      process.stderr.write('  report-html: skipped, the drill lab needs root\n');
      return this.skip();
    }
    needProgram(this, 'chromium');
    dir = labTempDir('report');
    state = await labUp({ dir, hosts: 2, scenarios: [{ name: 'outbound-ssh-bruteforce', count: 1 }] });
    // A hostile crontab line on the clean host: its text reaches a finding summary.
    await onHost(
      state,
      'n002',
      `printf '%s\\n' '* * * * * root echo "${HOSTILE.script} | \`x\`" >/dev/null' > /etc/cron.d/hostile`,
    );
    const work = path.dirname(dir);
    writeFileSync(path.join(work, 'report.yaml'), RUNBOOK);
    const r = await runCli(
      [
        'run',
        path.join(work, 'report.yaml'),
        '-i',
        state.files.inventory,
        '--runs-dir',
        path.join(work, 'runs'),
        '--incident',
        'INC-TEST',
        '--title',
        'Lab <b>run</b>',
        '--severity',
        'high',
        '--examiner',
        'alice@jump1',
      ],
      { timeoutMs: 120_000 },
    );
    assert.equal(r.code, 3, `the failing step makes the run exit 3\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^report: .*report\.md .*report\.html$/m);
    runDir = onlyRunDir(path.join(work, 'runs'));
    // The signed manifest names the case, the examiner, this firebreak and the runbook's exact bytes.
    const manifest = JSON.parse(readFileSync(path.join(runDir, 'evidence', 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.case, {
      caseId: 'INC-TEST',
      examiner: 'alice@jump1',
      firebreakVersion: JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version,
      runbook: { file: path.join(work, 'report.yaml'), sha256: createHash('sha256').update(RUNBOOK).digest('hex') },
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await removeLab(state, dir);
  });

  it('opens with no console error and no request but the page; every section, the timeline, hostile text as text', async () => {
    const file = path.join(runDir, 'report.html');
    const w = await watchedPage(browser!);
    await w.page.goto(`file://${file}`, { waitUntil: 'load' });
    assert.deepEqual(w.requests, [`file://${file}`]);
    assert.deepEqual(w.problems, []);
    for (const id of SECTIONS) assert.equal(await w.page.locator(`section#${id}`).count(), 1, id);
    const bars = await w.page.locator('svg.chart.timeline rect title').allTextContents();
    for (const host of ['n001', 'n002'])
      assert.ok(
        bars.some((t) => t.startsWith(`${host} collect:`)),
        `a timeline bar for ${host}: ${bars.join(' / ')}`,
      );
    assert.ok(await w.page.locator('svg.chart.severity').isVisible());
    assert.equal(await w.page.locator('h1').textContent(), 'INC-TEST: Lab <b>run</b>');
    const text = (await w.page.locator('body').textContent()) ?? '';
    assert.ok(text.includes('echo <b>hostile</b> | step'), 'the hostile step name, as text');
    assert.ok(text.includes('<img src=x onerror=window.__pwned=2>'), 'the hostile stderr, as text');
    assert.ok(text.includes(HOSTILE.script), 'the hostile crontab line in a finding, as text');
    assert.equal(await w.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await w.page.locator('body script, body img, body b').count(), 0);
    mkdirSync(ARTIFACTS, { recursive: true });
    // The top 3,000 px (summary, charts, first findings), for people to look at, not an assertion: a
    // full-page capture makes headless Chromium without a GPU lay out the whole page as one viewport
    // (25,000 px for a lab triage), ~40 s of a 2-core CI machine; a tall viewport takes half a second.
    await w.page.setViewportSize({ width: 1280, height: 3_000 });
    await w.page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), timeout: 60_000 });
    await w.page.close();
    const md = readFileSync(path.join(runDir, 'report.md'), 'utf8');
    assert.match(md, /^# INC-TEST: Lab &lt;b&gt;run&lt;\/b&gt;$/m);
  });

  it('hostile strings run no script even with the Content-Security-Policy removed', async () => {
    const run = hostileRun().write(hostileFiles());
    try {
      const html = renderReport(await buildReportModel(run.dir, FIXED), 'html').replace(
        /<meta http-equiv="Content-Security-Policy"[^>]*>/,
        '',
      );
      assert.doesNotMatch(html, /Content-Security-Policy/);
      const file = path.join(run.dir, 'hostile.html');
      writeFileSync(file, html);
      const w = await watchedPage(browser!);
      await w.page.goto(`file://${file}`, { waitUntil: 'load' });
      assert.equal(await w.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
      assert.deepEqual(w.problems, []);
      assert.deepEqual(w.requests, [`file://${file}`], 'no injected <img> fetched anything');
      assert.ok(((await w.page.locator('body').textContent()) ?? '').includes(HOSTILE.img));
      await w.page.close();
    } finally {
      run.cleanup();
    }
  });

  it('firebreak report on a run with a tampered artifact shows the verification failure and exits 5', async () => {
    const manifest = JSON.parse(readFileSync(path.join(runDir, 'evidence', 'manifest.json'), 'utf8')) as {
      artifacts: { id: string; size: number; sha256AtRest: string }[];
    };
    const victim = manifest.artifacts.find((a) => a.size > 10)!;
    const object = path.join(runDir, 'evidence', 'objects', victim.sha256AtRest.slice(0, 2), victim.sha256AtRest);
    assert.ok(existsSync(object));
    chmodSync(object, 0o600);
    const bytes = readFileSync(object);
    bytes[5] = bytes[5]! ^ 0xff;
    writeFileSync(object, bytes);

    const out = path.join(path.dirname(runDir), 'tampered.html');
    const r = await runCli(['report', runDir, '--format', 'html', '--out', out]);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /FAILED verification/);
    const html = readFileSync(out, 'utf8');
    assert.match(html, /<div class="banner bad" role="alert">Evidence FAILED verification/);
    assert.match(html, new RegExp(`<td>hash-mismatch</td><td><a href="#${victim.id}">${victim.id}</a></td>`));
    assert.match(html, new RegExp(`<tr id="${victim.id}">[^\\n]*hash-mismatch`));

    const md = await runCli(['report', runDir]);
    assert.equal(md.code, 5);
    assert.match(md.stdout, /\*\*Evidence FAILED verification\*\*/);
    assert.match(md.stdout, new RegExp(`\\| error \\| hash-mismatch \\| ${victim.id} \\|`));
  });
});
