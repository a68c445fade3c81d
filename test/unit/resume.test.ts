/**
 * Resume, on the executor with fake hosts: a finished run's journal cut after every one of its lines
 * (a controller dying at that point), then resumed. Each time: every (host, step) finishes exactly
 * once across both parts, no step that finished before the cut runs again, values registered before
 * the cut reach later steps and phases, serial batches and confirmations behave as without a crash.
 * Also: journal replay into positions, a torn last line set aside, plan inputs that survive JSON.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkChain, NotResumableError, type RegisteredResult, type RunEvent } from '../../src/core/index.js';
import { startRun } from '../../src/engine/executor.js';
import type { RunOptions } from '../../src/engine/executor-types.js';
import { replayJournal } from '../../src/engine/replay.js';
import { prepareResume, sealEnded } from '../../src/engine/resume.js';
import { evidencePaths, verifyEvidence } from '../../src/evidence/index.js';
import { Journal, readJournal, setAsideTornTail } from '../../src/journal/index.js';
import { loadRunbook, validateRunbook, type Step } from '../../src/runbook/index.js';
import { planStep } from '../../src/engine/planner.js';
import { FakeFleet, fakeClock, fakePlanner, hosts, type FakeStep } from './executor-fakes.js';

const HOSTS = ['h1', 'h2', 'h3'];
const STEPS = {
  collect: [
    { name: 'a', cmd: 'a', register: 'ra', rerunSafe: true },
    { name: 'b', cmd: 'b', rerunSafe: true },
    // Runs only where `a` registered what it printed: a lost registration shows as a skip.
    {
      name: 'w',
      cmd: 'w',
      rerunSafe: true,
      when: (reg: Readonly<Record<string, unknown>>) => (reg.ra as RegisteredResult | undefined)?.stdout === 'A',
    },
  ],
  restore: [
    { name: 'c', cmd: 'c', rerunSafe: true, when: (reg: Readonly<Record<string, unknown>>) => reg.ra !== undefined },
  ],
} satisfies Record<string, FakeStep[]>;

let base: string;
beforeEach(() => (base = mkdtempSync(join(tmpdir(), 'fb-resume-'))));
afterEach(() => rmSync(base, { recursive: true, force: true }));

const fleet = () => new FakeFleet(Object.fromEntries(HOSTS.map((h) => [h, { replies: { a: { stdout: 'A' } } }])));
const options = (f: FakeFleet, runsDir: string, asked: string[]): RunOptions<FakeStep> => ({
  runbook: {
    name: 'cut',
    phases: {
      collect: { steps: STEPS.collect, serial: 2 },
      restore: { steps: STEPS.restore, confirm: 'go on?' },
    },
  },
  hosts: hosts(...HOSTS),
  ...fakePlanner,
  transportFor: f.factory,
  runsDir,
  clock: fakeClock(),
  fsync: false,
  confirm: async (phase) => {
    asked.push(phase);
    return true;
  },
});
const finished = (events: readonly RunEvent[]) =>
  events.flatMap((e) => (e.type === 'step.finished' ? [`${e.host}#${e.index}`] : [])).sort();

describe('resume: a run cut after every journal line, then resumed', () => {
  it('finishes each (host, step) once, reruns nothing finished, keeps registered values and answers', async () => {
    const refAsked: string[] = [];
    const ref = await startRun(options(fleet(), join(base, 'ref'), refAsked)).done;
    assert.equal(ref.exitCode, 0);
    const lines = readFileSync(join(ref.runDir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean);
    const refEvents = readJournal(join(ref.runDir, 'journal.jsonl'));
    assert.equal(finished(refEvents).length, 12, 'the reference ran 4 steps on 3 hosts');

    let cuts = 0;
    // Up to the whole journal: run.finished written, summary.json not (the controller died writing it).
    for (let k = 1; k <= lines.length; k++) {
      const dir = join(base, `cut${k}`, ref.runId);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'journal.jsonl'), lines.slice(0, k).join('\n') + '\n');
      const events = readJournal(join(dir, 'journal.jsonl'));
      const before = new Set(finished(events));
      const f = fleet();
      const asked: string[] = [];
      const r = await startRun({
        ...options(f, join(base, `cut${k}`), asked),
        resume: { runDir: dir, events, position: replayJournal(events) },
      }).done;
      const all = readJournal(join(dir, 'journal.jsonl'));
      const where = `cut after line ${k} (${events.at(-1)?.type})`;
      assert.equal(r.exitCode, 0, where);
      assert.deepEqual(finished(all), finished(refEvents), `${where}: each (host, step) finished exactly once`);
      // What ran after the cut: exactly the steps that had not finished before it.
      const index = { a: 1, b: 2, w: 3, c: 4 } as Record<string, number>;
      const ran = f.log.map((l) => l.replace(/^(\w+):(\w+)$/, (_m, h: string, c: string) => `${h}#${index[c]}`)).sort();
      assert.deepEqual(
        ran,
        finished(refEvents).filter((s) => !before.has(s)),
        `${where}: nothing finished ran again`,
      );
      // A confirmation given before the crash is not asked again; one not given yet is.
      const confirmedBefore = events.some((e) => e.type === 'phase.started' && e.phase === 'restore');
      assert.deepEqual(asked, confirmedBefore ? [] : ['restore'], where);
      assert.equal(all.filter((e) => e.type === 'run.resumed').length, 1, where);
      cuts++;
    }
    assert.ok(cuts >= 20, `${cuts} cut points`);
  });

  it('stops a host whose in-flight step can neither run again nor be verified; verify decides the others', async () => {
    const steps: FakeStep[] = [
      { name: 'change', cmd: 'change' },
      { name: 'checked', cmd: 'checked', verify: 'is-it-there' },
    ];
    const f = new FakeFleet({
      h1: { replies: { 'is-it-there': { stdout: 'done: the rule is loaded\n' } } },
      h2: { replies: { 'is-it-there': { stdout: 'absent: no rule\n' } } },
      h3: { replies: { 'is-it-there': { stdout: 'unknown: half a rule\n' } } },
      // A dead-man timer pending: wait as long as it says, then ask again.
      h5: {
        replies: {
          'is-it-there': (call: number) => ({
            stdout: call === 1 ? 'wait: 10 s: the timer fires soon\n' : 'absent: the timer fired\n',
          }),
        },
      },
    });
    const clock = fakeClock();
    const runsDir = join(base, 'runs');
    const opts: RunOptions<FakeStep> = {
      runbook: { name: 'inflight', phases: { collect: { steps } } },
      hosts: hosts('h1', 'h2', 'h3', 'h4', 'h5'),
      ...fakePlanner,
      transportFor: f.factory,
      runsDir,
      clock,
      fsync: false,
    };
    // A journal as a crash leaves it: h1-h3 and h5 inside step 2, h4 inside step 1.
    const dir = join(runsDir, 'crashed');
    mkdirSync(dir, { recursive: true });
    const j = new Journal(join(dir, 'journal.jsonl'), { fsync: false });
    const at = '2026-12-06T10:00:00.000Z';
    const ev = (e: object) => j.emit({ at, ...e } as RunEvent);
    ev({
      type: 'run.started',
      runId: 'crashed',
      runbook: 'inflight',
      runDir: dir,
      hosts: ['h1', 'h2', 'h3', 'h4', 'h5'],
      phases: ['collect'],
      forks: 4,
    });
    ev({ type: 'phase.started', phase: 'collect', batch: 1, batches: 1, hosts: ['h1', 'h2', 'h3', 'h4', 'h5'] });
    for (const h of ['h1', 'h2', 'h3', 'h4', 'h5']) {
      ev({ type: 'host.started', host: h, phase: 'collect' });
      ev({ type: 'step.started', host: h, phase: 'collect', step: 'change', index: 1, commands: ['change'] });
      if (h === 'h4') continue;
      ev({
        type: 'step.finished',
        host: h,
        phase: 'collect',
        step: 'change',
        index: 1,
        outcome: { status: 'ok', durationMs: 1, rc: 0 },
      });
      ev({ type: 'step.started', host: h, phase: 'collect', step: 'checked', index: 2, commands: ['checked'] });
    }
    j.close();
    const events = readJournal(join(dir, 'journal.jsonl'));
    const r = await startRun({ ...opts, resume: { runDir: dir, events, position: replayJournal(events) } }).done;
    assert.equal(r.exitCode, 3);
    const all = readJournal(join(dir, 'journal.jsonl'));
    const outcome = (h: string, i: number) =>
      all.find(
        (e): e is Extract<RunEvent, { type: 'step.finished' }> =>
          e.type === 'step.finished' && e.host === h && e.index === i && e.outcome.resumed !== undefined,
      )?.outcome;
    assert.match(String(outcome('h1', 2)?.resumed), /verified in place: the rule is loaded/);
    assert.match(String(outcome('h2', 2)?.resumed), /absent \(no rule\): run again/);
    assert.equal(outcome('h3', 2)?.status, 'failed');
    assert.match(String(outcome('h3', 2)?.message), /cannot tell whether the fake step took effect: half a rule/);
    assert.equal(outcome('h4', 1)?.status, 'failed');
    assert.match(String(outcome('h4', 1)?.message), /changes the host in ways firebreak cannot check/);
    assert.match(String(outcome('h5', 2)?.resumed), /absent \(the timer fired\): run again/);
    assert.ok(
      clock.slept.includes(15_000),
      `waited the 10 s the verify asked, plus a margin: ${clock.slept.join(',')}`,
    );
    assert.deepEqual(
      f.log.filter((l) => !l.endsWith('is-it-there')).sort(),
      ['h2:checked', 'h5:checked'],
      'only the step verify found absent ran again; nothing ran on the stopped hosts',
    );
    assert.deepEqual(
      r.recap.map((x) => [x.host, x.state]),
      [
        ['h1', 'ok'],
        ['h2', 'ok'],
        ['h3', 'failed'],
        ['h4', 'failed'],
        ['h5', 'ok'],
      ],
    );
  });
});

describe('resume: the journal read back', () => {
  it('replays hosts into positions: finished steps with their evidence, the step in flight, who is out', () => {
    const at = '2026-12-06T10:00:00.000Z';
    const e = (x: object) => ({ at, ...x }) as RunEvent;
    const pos = replayJournal([
      e({
        type: 'run.started',
        runId: 'r1',
        runbook: 'rb',
        runDir: '/r',
        hosts: ['a', 'b'],
        phases: ['collect'],
        forks: 2,
      }),
      e({ type: 'phase.started', phase: 'collect', batch: 1, batches: 1, hosts: ['a', 'b'] }),
      e({ type: 'step.started', host: 'a', phase: 'collect', step: 's1', index: 1, commands: [] }),
      e({ type: 'step.started', host: 'b', phase: 'collect', step: 's1', index: 1, commands: [] }),
      e({
        type: 'evidence.stored',
        host: 'a',
        phase: 'collect',
        step: 's1',
        artifact: { label: 'x', sha256: 'f'.repeat(64) },
      }),
      e({
        type: 'step.finished',
        host: 'b',
        phase: 'collect',
        step: 's1',
        index: 1,
        outcome: { status: 'failed', durationMs: 1 },
      }),
      e({ type: 'host.failed', host: 'b', phase: 'collect', step: 's1', message: 'm' }),
      e({ type: 'host.finished', host: 'b', phase: 'collect', state: 'failed' }),
      e({
        type: 'step.finished',
        host: 'a',
        phase: 'collect',
        step: 's1',
        index: 1,
        outcome: { status: 'ok', durationMs: 1 },
      }),
      e({ type: 'step.skipped', host: 'a', phase: 'collect', step: 's2', index: 2, reason: 'when' }),
      e({ type: 'step.started', host: 'a', phase: 'collect', step: 's3', index: 3, commands: [], stepType: 'isolate' }),
    ]);
    const a = pos.hosts.get('a')!;
    assert.deepEqual([...a.finished.keys()], [1]);
    assert.equal(a.finished.get(1)?.artifacts[0]?.label, 'x', 'the evidence of a step is its own');
    assert.deepEqual([...a.skipped], [2]);
    assert.deepEqual(a.inFlight, { index: 3, phase: 'collect', name: 's3', stepType: 'isolate', artifacts: [] });
    assert.equal(pos.hosts.get('b')?.out, 'failed');
    assert.equal(pos.hosts.get('b')?.inFlight, undefined);
    assert.deepEqual([...pos.phasesStarted], ['collect']);
    assert.equal(pos.finished, false);
  });

  it('sets a torn last line aside: kept in a file, the chain goes on from the last whole line', () => {
    const path = join(base, 'journal.jsonl');
    const j = new Journal(path, { fsync: false });
    const at = '2026-12-06T10:00:00.000Z';
    j.emit({ at, type: 'run.started', runId: 'r', runbook: 'rb', runDir: base, hosts: [], phases: [], forks: 1 });
    j.close();
    const torn = '{"type":"step.out';
    writeFileSync(path, torn, { flag: 'a' });
    assert.equal(readJournal(path).length, 1, 'readers drop a torn last line');
    const set = setAsideTornTail(path);
    assert.equal(set?.bytes, torn.length);
    assert.equal(readFileSync(join(base, set!.file), 'utf8'), torn);
    const k = new Journal(path, { fsync: false });
    k.emit({ at, type: 'run.aborted', reason: 'x' });
    k.close();
    const check = checkChain(readFileSync(path));
    assert.deepEqual([check.lines, check.torn, check.breaks], [2, false, []]);
    assert.equal(setAsideTornTail(path), undefined, 'a whole journal is left as it is');
    assert.deepEqual(readdirSync(base).sort(), ['journal.jsonl', set!.file].sort());
  });

  it('every shipped runbook survives the journal as data: validated again, it is the same runbook', async () => {
    const dir = join(import.meta.dirname, '../../runbooks');
    const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
    assert.ok(files.length >= 3);
    for (const f of files) {
      const { runbook } = await loadRunbook(join(dir, f));
      const again = validateRunbook(JSON.parse(JSON.stringify(runbook)));
      assert.deepEqual(again.issues, [], f);
      assert.deepEqual(again.runbook, runbook, f);
    }
  });
});

describe('resume: what it refuses, before changing anything', () => {
  const at = '2026-12-06T10:00:00.000Z';
  /** A crashed run directory whose journal holds `inputs` (or no run.inputs at all). */
  const crashed = (inputs?: Record<string, unknown>): string => {
    const dir = join(base, 'run');
    mkdirSync(dir, { recursive: true });
    const j = new Journal(join(dir, 'journal.jsonl'), { fsync: false });
    j.emit({
      at,
      type: 'run.started',
      runId: 'run',
      runbook: 'rb',
      runDir: dir,
      hosts: ['h1'],
      phases: ['collect'],
      forks: 1,
    });
    if (inputs) j.emit({ at, type: 'run.inputs', inputs });
    j.close();
    return dir;
  };
  const inputs = (over: Record<string, unknown> = {}) => ({
    format: 1,
    firebreakVersion: '0.1.0',
    runbook: { file: 'rb.yaml', dir: base, loaded: { name: 'rb', phases: { collect: [{ shell: 'true' }] } } },
    params: {},
    hosts: [{ name: 'h1', vars: {}, groups: [] }],
    options: { ssh: {}, connection: {} },
    ...over,
  });
  const refused = (dir: string, why: RegExp, opts = {}) =>
    assert.throws(
      () => prepareResume(dir, opts),
      (e: unknown) => e instanceof NotResumableError && e.exitCode === 8 && why.test(e.message),
    );

  it('reads a crashed run back: its position, inputs and runbook', () => {
    const p = prepareResume(crashed(inputs()));
    assert.ok(!p.sealOnly);
    assert.equal(p.point.position.runId, 'run');
    assert.equal(p.runbook.name, 'rb');
    assert.deepEqual(p.inputs.hosts[0]?.name, 'h1');
  });

  it('refuses a finished run, a journal without inputs or of another format, a changed runbook', () => {
    const dir = crashed(
      inputs({
        runbook: {
          file: 'rb.yaml',
          sha256: 'a'.repeat(64),
          dir: base,
          loaded: { name: 'rb', phases: { collect: [{ shell: 'true' }] } },
        },
      }),
    );
    writeFileSync(join(base, 'rb.yaml'), 'name: rb\n');
    refused(dir, /the runbook .*rb\.yaml changed since the run started .* --runbook-changed-ok/);
    const accepted = prepareResume(dir, { runbookChangedOk: true });
    assert.equal(accepted.sealOnly ? undefined : accepted.runbook.name, 'rb');
    rmSync(dir, { recursive: true });
    refused(crashed(), /does not record what the run was started with/);
    rmSync(join(base, 'run'), { recursive: true });
    refused(
      crashed(inputs({ format: 2, firebreakVersion: '9.0.0' })),
      /format 2 by firebreak 9\.0\.0; this firebreak resumes format 1/,
    );
  });

  it('a run killed between summary.json and its seal is sealed by resume, and verifies; a sealed one is refused', async () => {
    const f = new FakeFleet();
    const r = await startRun({
      runbook: { name: 'ended', phases: { collect: { steps: [{ name: 's', cmd: 's' }] } } },
      hosts: hosts('h1'),
      ...fakePlanner,
      transportFor: f.factory,
      runsDir: join(base, 'runs'),
      clock: fakeClock(),
      fsync: false,
    }).done;
    refused(r.runDir, /the run finished \(it has its summary\.json and its seal\)/);
    const { manifest, signature, publicKey } = evidencePaths(r.runDir);
    for (const file of [manifest, signature, publicKey]) rmSync(file);
    assert.equal((await verifyEvidence(r.runDir)).sealed, 'none', 'as the crash left it: not finalized');
    const p = prepareResume(r.runDir);
    assert.ok(p.sealOnly, 'all that is left is the seal');
    await sealEnded(p);
    const v = await verifyEvidence(r.runDir);
    assert.deepEqual([v.sealed, v.signature, v.ok], ['run', 'valid', true], JSON.stringify(v.problems));
    assert.ok(!existsSync(join(r.runDir, 'run.lock')), 'the lock is gone, not sealed');
  });

  it('refuses a run whose lock a live process holds', () => {
    const dir = crashed(inputs());
    writeFileSync(
      join(dir, 'run.lock'),
      JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: at, version: '0.1.0' }) + '\n',
    );
    refused(dir, /another controller is still writing this run: held by pid/);
  });
});

describe('resume: a step the runbook says is idempotent', () => {
  it('is planned as safe to run again; the same shell step without it is not', async () => {
    const step = (extra: object) => ({ name: 'q', shell: { cmd: 'mv -f a b' }, ...extra }) as Step;
    const ctx = {
      host: { name: 'h1', vars: {}, groups: [] },
      params: {},
      registered: {},
      runbookDir: '/r',
      remoteTmp: '/tmp/x',
    };
    assert.equal(planStep(step({ idempotent: true }), ctx).rerunSafe, true);
    assert.equal(planStep(step({}), ctx).rerunSafe, undefined);
  });
});
