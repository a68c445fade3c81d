/**
 * What `runs list` says of a run, from hand-made run directories (a real journal, summary and lock):
 * finished, aborted, crashed with a torn journal tail, running; the listing's order and what it passes
 * over; the journal read at its two ends only; and a real run (the executor over the fake transport)
 * holding its lock while it runs and sealing without it.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../../src/core/index.js';
import { startRun } from '../../src/engine/executor.js';
import { acquireRunLock, releaseRunLock, RUN_LOCK_FILE } from '../../src/engine/run-lock.js';
import { listRuns, runState, type RunInfo } from '../../src/engine/run-state.js';
import { evidencePaths, verifyEvidence, type Manifest } from '../../src/evidence/index.js';
import { Journal, readJournal, readJournalEnds } from '../../src/journal/index.js';
import { collectRun, FakeFleet } from './executor-fakes.js';

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(os.tmpdir(), 'fb-state-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

type Input = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'at'> : never) : never;

/** A run directory with a real (hash-chained) journal of `events`, one second apart from `start`. */
function makeRun(runId: string, events: Input[], start = '2026-01-31T10:15:00.000Z'): string {
  const dir = join(base, runId);
  mkdirSync(join(dir, 'hosts'), { recursive: true });
  const journal = new Journal(join(dir, 'journal.jsonl'), { fsync: false });
  events.forEach((e, i) =>
    journal.emit({ ...e, at: new Date(Date.parse(start) + i * 1000).toISOString() } as RunEvent),
  );
  journal.close();
  return dir;
}

const started = (runId: string, hostNames = ['web01', 'web02']): Input => ({
  type: 'run.started',
  runId,
  runbook: 'triage',
  runDir: `/runs/${runId}`,
  hosts: hostNames,
  phases: ['collect'],
  forks: 100,
});
const stepStarted = (host: string): Input => ({
  type: 'step.started',
  host,
  phase: 'collect',
  step: 'ps',
  index: 1,
  commands: ['ps -ef'],
});
const summary = (dir: string, fields: Record<string, unknown>) =>
  writeFileSync(
    join(dir, 'summary.json'),
    JSON.stringify({ runbook: 'triage', startedAt: '2026-01-31T10:15:00.000Z', counts: { hosts: 2 }, ...fields }),
  );
/** A lock left by a controller that has exited: its pid is dead (spawnSync reaped it). */
const deadLock = (dir: string): number => {
  const { pid } = spawnSync('true');
  writeFileSync(
    join(dir, RUN_LOCK_FILE),
    JSON.stringify({ pid, hostname: os.hostname(), startedAt: '2026-01-31T10:15:00.000Z', version: '0.1.0' }),
  );
  return pid;
};

describe('run state', () => {
  it('finished: summary.json, with its exit code, hosts and the last event', () => {
    const dir = makeRun('20260131T101500Z-triage', [
      started('20260131T101500Z-triage'),
      { type: 'run.finished', exitCode: 3, durationMs: 1000, recap: [] },
    ]);
    summary(dir, { exitCode: 3 });
    const s = runState(dir);
    assert.deepEqual(
      { ...s, runDir: undefined },
      {
        runId: '20260131T101500Z-triage',
        runDir: undefined,
        runbook: 'triage',
        startedAt: '2026-01-31T10:15:00.000Z',
        hosts: 2,
        lastEventAt: '2026-01-31T10:15:01.000Z',
        journalTorn: false,
        state: 'finished',
        exitCode: 3,
        detail: undefined,
      },
    );
  });

  it('aborted: the summary says why it stopped, exit code kept', () => {
    const dir = makeRun('r', [started('r'), { type: 'run.aborted', reason: 'interrupted by SIGINT' }]);
    summary(dir, { exitCode: 4, aborted: 'interrupted by SIGINT' });
    const s = runState(dir);
    assert.equal(s.state, 'aborted');
    assert.equal(s.exitCode, 4);
    assert.equal(s.detail, 'interrupted by SIGINT');
  });

  it('crashed: no summary, a stale lock, and a torn journal tail that is noted, not thrown', () => {
    const dir = makeRun('r', [started('r'), stepStarted('web01'), stepStarted('web02')]);
    appendFileSync(join(dir, 'journal.jsonl'), '{"type":"step.output","host":"web01","phase":"coll');
    const pid = deadLock(dir);
    const s = runState(dir);
    assert.equal(s.state, 'crashed');
    assert.equal(s.exitCode, undefined);
    assert.equal(s.journalTorn, true);
    assert.equal(s.lastEventAt, '2026-01-31T10:15:02.000Z', 'the last whole line');
    assert.equal(s.hosts, 2);
    assert.equal(s.runbook, 'triage');
    assert.equal(s.lock?.pid, pid);
    assert.match(s.detail ?? '', new RegExp(`stale: pid ${pid} .* no longer running`));
    // readJournal (the report's reader) drops the torn tail too, for its own callers.
    assert.equal(readJournal(join(dir, 'journal.jsonl')).length, 3);
  });

  it('crashed: no summary and no lock at all', () => {
    const dir = makeRun('r', [started('r')]);
    assert.equal(runState(dir).state, 'crashed');
    assert.equal(runState(dir).journalTorn, false);
  });

  it('running: no summary and a live process holds the lock; finished once the summary is there', () => {
    const dir = makeRun('r', [started('r'), stepStarted('web01')]);
    const lock = acquireRunLock(dir);
    try {
      const s = runState(dir);
      assert.equal(s.state, 'running');
      assert.equal(s.lock?.pid, process.pid);
      assert.match(s.detail ?? '', /held by pid/);
      summary(dir, { exitCode: 0 });
      assert.equal(runState(dir).state, 'finished', 'the summary wins over a lock still held');
    } finally {
      releaseRunLock(lock);
    }
  });

  it('a summary.json that is not one counts as none', () => {
    const dir = makeRun('r', [started('r')]);
    writeFileSync(join(dir, 'summary.json'), '{"exitCode":');
    assert.equal(runState(dir).state, 'crashed');
  });
});

describe('runs list', () => {
  it('lists run directories newest first and passes over everything else', () => {
    makeRun('20260131T101500Z-triage', [started('20260131T101500Z-triage')], '2026-01-31T10:15:00.000Z');
    makeRun('20260201T080000Z-triage', [started('20260201T080000Z-triage')], '2026-02-01T08:00:00.000Z');
    const early = makeRun('20260201T080000Z-triage-2', [started('x')], '2026-02-01T08:00:00.000Z');
    rmSync(join(early, 'journal.jsonl'));
    deadLock(early); // a controller that died before its first event: still a run, its start unknown (last)
    mkdirSync(join(base, 'not-a-run', 'hosts'), { recursive: true });
    writeFileSync(join(base, 'notes.txt'), 'x');
    const ids = listRuns(base).map((r: RunInfo) => r.runId);
    assert.deepEqual(ids, ['20260201T080000Z-triage', '20260131T101500Z-triage', '20260201T080000Z-triage-2']);
  });

  it('a runs directory that does not exist has no runs; a file is an input error', () => {
    assert.deepEqual(listRuns(join(base, 'nothing-here')), []);
    writeFileSync(join(base, 'file'), '');
    assert.throws(() => listRuns(join(base, 'file')), { name: 'InputError', message: /not a directory/ });
  });
});

describe('journal ends', () => {
  const file = () => join(base, 'journal.jsonl');
  const line = (type: string, extra = '') => `{"type":"${type}","at":"2026-01-31T10:15:00.000Z"${extra}}\n`;

  it('reads the first and last events across lines longer than its read window', () => {
    const big = `,"text":"${'x'.repeat(200_000)}"`;
    writeFileSync(file(), line('run.started', big) + line('a') + line('b') + line('step.finished', big));
    const ends = readJournalEnds(file());
    assert.equal(ends.first?.type, 'run.started');
    assert.equal(ends.last?.type, 'step.finished');
    assert.equal(ends.torn, false);
    appendFileSync(file(), '{"type":"step.output","text":"' + 'y'.repeat(100_000));
    assert.deepEqual(
      { last: readJournalEnds(file()).last?.type, torn: readJournalEnds(file()).torn },
      { last: 'step.finished', torn: true },
    );
  });

  it('takes a whole last line without its newline as an event; an empty journal has none', () => {
    writeFileSync(file(), line('run.started') + line('run.finished').trimEnd());
    assert.deepEqual((({ first, last, torn }) => [first?.type, last?.type, torn])(readJournalEnds(file())), [
      'run.started',
      'run.finished',
      false,
    ]);
    writeFileSync(file(), '');
    assert.deepEqual(readJournalEnds(file()), { torn: false });
    writeFileSync(file(), '{"type":"run.sta');
    assert.deepEqual(readJournalEnds(file()), { torn: true });
  });
});

describe('a run and its lock', () => {
  it('holds the lock while it runs, gives it up before the seal, and verifies', async () => {
    const fleet = new FakeFleet({});
    let during: RunInfo | undefined;
    let runDir = '';
    const sink = {
      emit: (e: RunEvent) => {
        if (e.type === 'run.started') runDir = e.runDir;
        if (e.type === 'step.started') during = runState(runDir);
      },
    };
    const run = { fleet, runsDir: base, name: 'lock', hosts: ['web01'], steps: [{ name: 'ps' }] };
    const handle = startRun(collectRun(run, { sinks: [sink] }));
    const summaryOut = await handle.done;
    assert.equal(during?.state, 'running');
    assert.equal(during?.lock?.pid, process.pid);
    const after = runState(handle.runDir);
    assert.equal(after.state, 'finished');
    assert.equal(after.exitCode, summaryOut.exitCode);
    assert.equal(after.lock, undefined);
    const manifest = JSON.parse(readFileSync(evidencePaths(handle.runDir).manifest, 'utf8')) as Manifest;
    const sealed = (manifest.files ?? []).map((f) => f.path);
    assert.ok(sealed.includes('summary.json'), sealed.join(', '));
    assert.ok(!sealed.includes(RUN_LOCK_FILE), 'the lock is never sealed');
    const verified = await verifyEvidence(handle.runDir);
    assert.deepEqual(verified.problems, []);
  });
});
