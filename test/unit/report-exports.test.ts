/**
 * The machine exports of the report, on the recorded lab run (test/fixtures/report/run-basic): the
 * Timesketch timeline as CSV (parsed back with a strict RFC 4180 reader below) and JSONL, and the
 * findings as OCSF Detection Findings. Row counts are read off the journal, not off our own output.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildReportModel,
  OCSF_SEVERITY,
  renderReport,
  TIMELINE_COLUMNS,
  timelineRows,
  type ReportModel,
} from '../../src/report/index.js';
import { csvField } from '../../src/report/csv.js';
import { FIXED, recordedRun } from './report-fixture.js';

/** RFC 4180, strictly: CRLF records, quoted fields with doubled quotes; anything else throws. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      for (i++; ; i++) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i++;
        } else if (text[i] === '"') break;
        else field += text[i];
      }
      i++;
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        if (text[i] === '"' || text[i] === '\n') throw new Error(`bare ${JSON.stringify(text[i])} at ${i}`);
        field += text[i++];
      }
    }
    fields.push(field);
    if (text[i] === ',') i++;
    else if (text.startsWith('\r\n', i)) {
      records.push(fields);
      fields = [];
      i += 2;
    } else throw new Error(`expected , or CRLF at ${i}`);
  }
  if (fields.length) throw new Error('last record not ended by CRLF');
  return records;
}

/** Journal events the timeline has one row for (not step.started, step.output, host.started/finished). */
const MEANINGFUL = new Set([
  'run.started',
  'run.finished',
  'run.aborted',
  'run.resumed',
  'phase.started',
  'phase.finished',
  'host.failed',
  'host.unreachable',
  'step.retrying',
  'step.finished',
  'step.skipped',
  'evidence.stored',
  'finding',
  'hostkey.replaced',
]);

describe('report exports: recorded lab run (run-basic)', () => {
  const fixture = recordedRun();
  let model: ReportModel;
  let expectedRows: number;

  before(() => {
    model = fixture.model;
    const journal = readFileSync(path.join(fixture.dir, 'journal.jsonl'), 'utf8').trim().split('\n');
    expectedRows = journal.filter((l) => MEANINGFUL.has((JSON.parse(l) as { type: string }).type)).length;
  });

  describe('timeline-csv', () => {
    it('parses back: the header, one record per meaningful journal event, every value as the rows hold it', () => {
      const records = parseCsv(renderReport(model, 'timeline-csv'));
      assert.deepEqual(records[0], [...TIMELINE_COLUMNS]);
      assert.equal(expectedRows, 128);
      assert.equal(records.length - 1, expectedRows);
      const rows = timelineRows(model);
      assert.deepEqual(
        records.slice(1),
        rows.map((r) => TIMELINE_COLUMNS.map((c) => (r[c] === null ? '' : String(r[c])))),
      );
    });

    it('a value with a comma, a quote and a newline round-trips (the failed check carries all three)', () => {
      const records = parseCsv(renderReport(model, 'timeline-csv'));
      const failed = records.find((r) => r[3] === 'host.failed')!;
      assert.match(failed[0]!, /^n002: failed at step "check dropper": .*"no dropper here".*\n {4}no dropper here$/s);
      assert.match(records.find((r) => r[3] === 'run.started')![0]!, /, phases isolate, collect$/);
    });

    it('cells a spreadsheet would run as a formula get a leading quote; terminal escapes are made visible', () => {
      const hostile = structuredClone(model);
      const item = hostile.findings.groups[0]!.items[0]!;
      item.host = '=HYPERLINK("http://x","y")';
      hostile.findings.groups[0]!.kind = '@SUM(A1)';
      item.step = '+cmd';
      item.phase = 'collect';
      hostile.evidence.entries[0]!.label = '-2+3';
      hostile.evidence.entries[1]!.label = 'evil\x1b]0;pwned\x07';
      const records = parseCsv(renderReport(hostile, 'timeline-csv'));
      const finding = records.find((r) => r[3] === 'finding' && r[13] === "'@SUM(A1)")!;
      assert.equal(finding[4], `'=HYPERLINK("http://x","y")`);
      assert.equal(finding[6], "'+cmd");
      assert.ok(records.some((r) => r[9] === "'-2+3"));
      assert.ok(records.some((r) => r[9] === 'evil\\x1b]0;pwned\\x07'));
      assert.equal(csvField('\t=1'), "'\t=1");
      assert.equal(csvField('a,"b"\r\nc'), '"a,""b""\\x0d\nc"', 'CR shown, not kept');
      assert.equal(csvField('plain'), 'plain');
      assert.equal(csvField(null), '');
    });
  });

  describe('timeline-jsonl', () => {
    it('one object per line with message, ISO 8601 datetime and timestamp_desc, in time order', () => {
      const text = renderReport(model, 'timeline-jsonl');
      assert.ok(text.endsWith('\n'));
      const rows = text
        .slice(0, -1)
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(rows.length, expectedRows);
      for (const r of rows) {
        assert.deepEqual(Object.keys(r), [...TIMELINE_COLUMNS]);
        assert.ok(typeof r.message === 'string' && r.message.length > 0);
        assert.ok(typeof r.timestamp_desc === 'string' && r.timestamp_desc.length > 0);
        assert.match(String(r.datetime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
      }
      const times = rows.map((r) => Date.parse(String(r.datetime)));
      assert.ok(times.every((t, i) => i === 0 || t >= times[i - 1]!));
      assert.equal(rows[0]!.event_type, 'run.started');
      assert.equal(rows.at(-1)!.event_type, 'run.finished');
    });

    it('holds steps with status and duration, evidence with label, SHA-256 and size, findings with severity and kind', () => {
      const rows = timelineRows(model);
      const count = (t: string) => rows.filter((r) => r.event_type === t).length;
      assert.deepEqual(
        [count('step.finished'), count('step.skipped'), count('evidence.stored'), count('finding')],
        [10, 1, 74, 33],
      );
      const failed = rows.find((r) => r.event_type === 'step.finished' && r.status === 'failed')!;
      assert.deepEqual([failed.host, failed.step, failed.duration_ms], ['n002', 'check dropper', 70]);
      const ev = rows.find((r) => r.event_type === 'evidence.stored')!;
      assert.deepEqual([ev.host, ev.phase, ev.label, ev.size], ['n001', 'collect', 'processes/ps', 2639]);
      assert.match(String(ev.sha256), /^[0-9a-f]{64}$/);
      const severe = rows.filter((r) => r.event_type === 'finding' && r.severity === 'high');
      assert.equal(severe.length, 4);
      assert.ok(severe.some((r) => r.kind === 'network.outbound_ssh' && /^n001: high finding/.test(String(r.message))));
    });
  });

  describe('ocsf', () => {
    const lines = (m: ReportModel) =>
      renderReport(m, 'ocsf')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any

    it('one Detection Finding per finding with the required attributes', () => {
      const out = lines(model);
      assert.equal(out.length, 33);
      for (const f of out) {
        assert.equal(f.class_uid, 2004);
        assert.equal(f.category_uid, 2);
        assert.equal(f.activity_id, 1);
        assert.equal(f.type_uid, f.class_uid * 100 + f.activity_id);
        assert.ok(Number.isInteger(f.time) && f.time > Date.parse('2026-11-21'));
        assert.deepEqual(f.metadata.product, { name: 'firebreak', vendor_name: 'firebreak', version: '0.1.0' });
        assert.equal(f.metadata.version, '1.3.0');
        assert.match(f.finding_info.uid, /^[0-9a-f]{64}$/);
        assert.ok(f.finding_info.title && f.finding_info.desc && f.finding_info.types.length === 1);
        assert.equal(f.status, 'New');
        assert.equal(f.device.hostname, f.resources[0].uid);
      }
      assert.equal(new Set(out.map((f) => f.finding_info.uid)).size, out.length, 'uids are unique');
    });

    it('severities map to severity_id 1..5, most severe first', () => {
      assert.deepEqual(
        [
          OCSF_SEVERITY.info.id,
          OCSF_SEVERITY.low.id,
          OCSF_SEVERITY.medium.id,
          OCSF_SEVERITY.high.id,
          OCSF_SEVERITY.critical.id,
        ],
        [1, 2, 3, 4, 5],
      );
      const out = lines(model);
      const by = (id: number) => out.filter((f) => f.severity_id === id).length;
      const s = model.findings.bySeverity;
      assert.deepEqual([by(1), by(2), by(3), by(4), by(5)], [s.info, s.low, s.medium, s.high, s.critical]);
      assert.ok(out.every((f, i) => i === 0 || f.severity_id <= out[i - 1]!.severity_id));
      assert.equal(out[0]!.severity, 'High');
    });

    it('is the same on a re-render, even of a model built later', async () => {
      const again = await buildReportModel(fixture.dir, { ...FIXED, now: new Date('2027-01-01T00:00:00Z') });
      assert.equal(renderReport(again, 'ocsf'), renderReport(model, 'ocsf'));
    });

    it("a finding read from evidence carries the evidence's SHA-256, as an artifact and an observable", () => {
      const out = lines(model);
      const withEvidence = model.findings.groups.flatMap((g) => g.items).filter((i) => i.evidenceSha256);
      assert.ok(withEvidence.length > 0);
      assert.equal(out.filter((f) => f.evidences).length, withEvidence.length);
      for (const f of out.filter((x) => x.evidences)) {
        const sha = f.evidences[0].file.hashes[0];
        assert.deepEqual([sha.algorithm_id, sha.algorithm], [3, 'SHA-256']);
        assert.ok(model.evidence.entries.some((e) => e.sha256 === sha.value && e.id === f.evidences[0].uid));
        assert.ok(
          f.observables.some((o: { type_id: number; value: string }) => o.type_id === 8 && o.value === sha.value),
        );
      }
    });
  });
});
