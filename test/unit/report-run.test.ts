/**
 * What `firebreak run` does for the report: write report.md and report.html at the end, and never let
 * a report problem escape (the run's own exit code stands; the message says how to retry).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { writeRunReports } from '../../src/cli/run-report.js';
import { copyRunFixture } from './report-fixture.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({ write: (c: Buffer, _e, done) => (chunks.push(c.toString()), done()) });
  return { stream, text: () => chunks.join('') };
}

describe('run: report files at the end of a run', () => {
  it('writes report.md and report.html into the run directory and says where', async () => {
    const f = copyRunFixture('run-basic');
    try {
      const out = sink();
      const err = sink();
      await writeRunReports(f.dir, out.stream, err.stream);
      assert.equal(err.text(), '');
      assert.equal(out.text(), `report: ${path.join(f.dir, 'report.md')}  ${path.join(f.dir, 'report.html')}\n`);
      assert.match(readFileSync(path.join(f.dir, 'report.md'), 'utf8'), /^# INC-0001: /);
      assert.match(readFileSync(path.join(f.dir, 'report.html'), 'utf8'), /^<!DOCTYPE html>/);
    } finally {
      f.cleanup();
    }
  });

  it('a report that cannot be written is a message, never an exception', async () => {
    const f = copyRunFixture('run-basic');
    try {
      mkdirSync(path.join(f.dir, 'report.md')); // a directory where the file should go
      const out = sink();
      const err = sink();
      await writeRunReports(f.dir, out.stream, err.stream);
      assert.equal(out.text(), '');
      assert.match(
        err.text(),
        /^firebreak: could not write the report \(.*EISDIR.*\); the run itself is complete in .*: retry with `firebreak report /,
      );
      rmSync(path.join(f.dir, 'journal.jsonl'));
      await writeRunReports(f.dir, out.stream, err.stream);
      assert.match(err.text(), /not a run directory/);
    } finally {
      f.cleanup();
    }
  });
});
