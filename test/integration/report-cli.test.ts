/**
 * `firebreak report` and the report options of `firebreak run` through the real CLI, on the recorded
 * fixture run (no lab needed): formats, output file, notes, exit codes, and bad input refused before
 * a run starts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyRunFixture } from '../unit/report-fixture.js';
import { runCli } from './run-cli.js';

describe('firebreak report (real CLI, recorded run)', function () {
  this.timeout(60_000);
  let fixture: ReturnType<typeof copyRunFixture>;
  let work: string;

  before(() => {
    fixture = copyRunFixture('run-basic');
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-report-cli-'));
  });
  after(() => {
    fixture.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('prints Markdown by default, JSON with --format json, writes --out; exit 0 for verified evidence', async () => {
    const md = await runCli(['report', fixture.dir]);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^# INC-0001: Outbound SSH from lab hosts\n/);
    const json = await runCli(['report', fixture.dir, '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const model = JSON.parse(json.stdout) as {
      format: string;
      summary: { artifacts: number };
      evidence: { status: string };
    };
    assert.deepEqual(
      [model.format, model.summary.artifacts, model.evidence.status],
      ['firebreak-report/1', 74, 'verified'],
    );
    const out = path.join(work, 'r.html');
    const html = await runCli(['report', fixture.dir, '--format', 'html', '--out', out]);
    assert.equal(html.code, 0, html.stderr);
    assert.equal(html.stdout, '');
    assert.match(readFileSync(out, 'utf8'), /^<!DOCTYPE html>/);
  });

  it('exports: --format timeline-csv, timeline-jsonl and ocsf; schema --report', async () => {
    const csv = await runCli(['report', fixture.dir, '--format', 'timeline-csv']);
    assert.equal(csv.code, 0, csv.stderr);
    assert.match(csv.stdout, /^message,datetime,timestamp_desc,event_type,host,phase,step,/);
    const jsonl = await runCli(['report', fixture.dir, '--format', 'timeline-jsonl']);
    assert.equal(jsonl.code, 0, jsonl.stderr);
    assert.equal(jsonl.stdout.trimEnd().split('\n').length, 128);
    const ocsf = await runCli(['report', fixture.dir, '--format', 'ocsf']);
    assert.equal(ocsf.code, 0, ocsf.stderr);
    const findings = ocsf.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { class_uid: number });
    assert.deepEqual([findings.length, findings[0]!.class_uid], [33, 2004]);
    const schema = await runCli(['schema', '--report']);
    assert.equal(schema.code, 0, schema.stderr);
    assert.equal((JSON.parse(schema.stdout) as { title: string }).title, 'firebreak report model');
  });

  it('--notes replaces the notes the run kept', async () => {
    const notes = path.join(work, 'notes.yaml');
    writeFileSync(notes, 'status: resolved\naction_items: [{what: Rotate keys, owner: carol}]\n');
    const r = await runCli(['report', fixture.dir, '--notes', notes]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\| Status \| resolved \|$/m);
    assert.match(r.stdout, /^\| 1 \| Rotate keys \| carol \|/m);
  });

  it('bad input exits 2 with a message: format, run directory, notes', async () => {
    const fmt = await runCli(['report', fixture.dir, '--format', 'pdf']);
    assert.equal(fmt.code, 2);
    assert.match(fmt.stderr, /--format must be one of md, html, json, timeline-csv, timeline-jsonl, ocsf/);
    const missing = await runCli(['report', path.join(work, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /not a run directory: it has no journal\.jsonl/);
    const notes = path.join(work, 'bad-notes.yaml');
    writeFileSync(notes, 'went_well: fast\nmood: great\n');
    const bad = await runCli(['report', fixture.dir, '--notes', notes]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a valid notes file/);
    assert.match(bad.stderr, /at went_well/);
    assert.match(bad.stderr, /mood/);
  });

  it('a run signed on another controller: exit 5 with an empty keyring, 0 when --trusted-keys or --public-key names its key', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'fb-empty-keyring-'));
    try {
      const env = { FIREBREAK_KEYRING: path.join(empty, 'keyring') };
      const pub = path.join(fixture.dir, 'evidence', 'manifest.pub.pem');
      const untrusted = await runCli(['report', fixture.dir, '--format', 'json'], { env });
      assert.equal(untrusted.code, 5, untrusted.stderr);
      const trusted = await runCli(['report', fixture.dir, '--format', 'json', '--trusted-keys', pub], { env });
      assert.equal(trusted.code, 0, trusted.stderr);
      const given = await runCli(['report', fixture.dir, '--format', 'json', '--public-key', pub], { env });
      assert.equal(given.code, 0, given.stderr);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('a damaged line in the middle of the journal: the report is made around it and says so; evidence verify still fails', async () => {
    const damaged = copyRunFixture('run-basic');
    try {
      const journal = path.join(damaged.dir, 'journal.jsonl');
      const lines = readFileSync(journal, 'utf8').split('\n');
      lines[49] = '{"type": "step.finished", this is not JSON';
      writeFileSync(journal, lines.join('\n'));
      const r = await runCli(['report', damaged.dir]);
      assert.match(r.stdout, /^# INC-0001: Outbound SSH from lab hosts\n/);
      assert.match(r.stdout, /^\| Journal \| \*\*1 unreadable line\(s\)\*\*, left out of this report/m);
      assert.match(
        r.stderr,
        new RegExp(`warning: ${journal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:50: unreadable journal line skipped`),
      );
      assert.doesNotMatch(r.stderr, /internal error/);
      const json = await runCli(['report', damaged.dir, '--format', 'json']);
      assert.equal(
        (JSON.parse(json.stdout) as { header: { journalUnreadableLines: number } }).header.journalUnreadableLines,
        1,
      );
      // The tampering is still found: by the report's own re-verification and by evidence verify.
      assert.equal(r.code, 5, r.stderr);
      const v = await runCli(['evidence', 'verify', damaged.dir]);
      assert.notEqual(v.code, 0, v.stdout + v.stderr);
      assert.match(v.stdout + v.stderr, /journal/i);
    } finally {
      damaged.cleanup();
    }
  });

  it('firebreak run refuses bad --severity and bad --notes before anything starts', async () => {
    const inv = path.join(work, 'inv.ini');
    writeFileSync(inv, 'h1 ansible_host=127.0.0.254 ansible_port=1\n');
    const runbook = path.join(work, 'rb.yaml');
    writeFileSync(runbook, 'name: rb\nphases:\n  collect:\n    - shell: hostname\n');
    const runs = path.join(work, 'runs');
    const sev = await runCli(['run', runbook, '-i', inv, '--runs-dir', runs, '--severity', 'urgent']);
    assert.equal(sev.code, 2);
    assert.match(sev.stderr, /--severity must be one of info, low, medium, high, critical/);
    const notes = path.join(work, 'bad-run-notes.yaml');
    writeFileSync(notes, 'action_items: [{owner: nobody}]\n');
    const bad = await runCli(['run', runbook, '-i', inv, '--runs-dir', runs, '--notes', notes]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /not a valid notes file/);
    assert.ok(!existsSync(runs) || readdirSync(runs).length === 0, 'no run directory was created');
  });
});
