import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun } from '../../src/engine/executor.js';
import type { PhaseSpec, RunOptions, RunSummary } from '../../src/engine/executor-types.js';
import type { PhaseName } from '../../src/core/index.js';
import { readJournal } from '../../src/journal/index.js';
import {
  FakeFleet,
  Recorder,
  fakeClock,
  fakePlanner,
  hosts,
  type FakeStep,
  type HostScript,
} from './executor-fakes.js';

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'fb-exec-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

interface Setup {
  phases: Partial<Record<PhaseName, PhaseSpec<FakeStep>>>;
  hosts: string[];
  scripts?: Record<string, HostScript>;
  extra?: Partial<RunOptions<FakeStep>>;
  onEvent?: (e: Recorder['events'][number], abort: (r: string) => void) => void;
}

async function run(s: Setup): Promise<{ summary: RunSummary; rec: Recorder; fleet: FakeFleet; dir: string }> {
  const rec = new Recorder();
  const fleet = new FakeFleet(s.scripts);
  const box: { abort?: (r: string) => void } = {};
  const handle = startRun<FakeStep>({
    runbook: { name: 'Test Runbook', phases: s.phases },
    hosts: hosts(...s.hosts),
    ...fakePlanner,
    transportFor: fleet.factory,
    runsDir: base,
    clock: fakeClock(),
    fsync: false,
    sinks: [rec, { emit: (e) => s.onEvent?.(e, (r) => box.abort?.(r)) }],
    ...s.extra,
  });
  box.abort = handle.abort;
  const summary = await handle.done;
  return { summary, rec, fleet, dir: handle.runDir };
}

const step = (name: string, more: Partial<FakeStep> = {}): FakeStep => ({ name, ...more });
const stateOf = (summary: RunSummary, host: string): string | undefined =>
  summary.recap.find((r) => r.host === host)?.state;

describe('executor', () => {
  it('runs phases in order, each phase a barrier across hosts', async () => {
    const { summary, fleet, rec } = await run({
      hosts: ['a', 'b', 'c'],
      phases: { collect: { steps: [step('c1'), step('c2')] }, isolate: { steps: [step('i1')] } },
    });
    assert.equal(summary.exitCode, 0);
    const lastIsolate = Math.max(...fleet.log.map((l, i) => (l.endsWith(':i1') ? i : -1)));
    const firstCollect = fleet.log.findIndex((l) => l.endsWith(':c1'));
    assert.ok(lastIsolate < firstCollect, fleet.log.join(' '));
    assert.deepEqual(
      rec.events
        .filter((e) => e.type.startsWith('phase.') || e.type.startsWith('run.'))
        .map((e) => `${e.type}${'phase' in e ? ` ${e.phase}` : ''}`),
      [
        'run.started',
        'phase.started isolate',
        'phase.finished isolate',
        'phase.started collect',
        'phase.finished collect',
        'run.finished',
      ],
    );
    assert.deepEqual(rec.of('run.started')[0]?.phases, ['isolate', 'collect']);
    for (const t of fleet.transports.values()) {
      assert.equal(t.connects, 1, 'one connection per host for the whole run');
      assert.equal(t.closes, 1);
    }
  });

  it('rolls serial batches through the fleet, a batch being a barrier', async () => {
    const { rec, fleet } = await run({
      hosts: ['h1', 'h2', 'h3', 'h4', 'h5'],
      phases: { rebuild: { serial: [1, '50%'], steps: [step('s1'), step('s2')] } },
    });
    assert.deepEqual(
      rec.of('phase.started').map((e) => e.hosts),
      [['h1'], ['h2', 'h3'], ['h4', 'h5']],
    );
    assert.deepEqual(
      rec.of('phase.started').map((e) => `${e.batch}/${e.batches}`),
      ['1/3', '2/3', '3/3'],
    );
    const idx = (l: string): number => fleet.log.indexOf(l);
    assert.ok(idx('h1:s2') < idx('h2:s1') && idx('h3:s2') < idx('h4:s1'), fleet.log.join(' '));
  });

  it('limits concurrency to forks', async () => {
    const { fleet } = await run({
      hosts: ['a', 'b'],
      extra: { forks: 1 },
      phases: { collect: { steps: [step('x'), step('y')] } },
    });
    assert.deepEqual(fleet.log, ['a:x', 'a:y', 'b:x', 'b:y']);
  });

  it('drops a failed host from later phases and exits 3', async () => {
    const { summary, fleet, rec } = await run({
      hosts: ['a', 'b'],
      scripts: { a: { replies: { i1: { code: 2, stderr: 'iptables: permission denied\n' } } } },
      phases: { isolate: { steps: [step('i1'), step('i2')] }, collect: { steps: [step('c1')] } },
    });
    assert.equal(summary.exitCode, 3);
    assert.deepEqual(
      fleet.log.filter((l) => l.startsWith('a:')),
      ['a:i1'],
    );
    assert.equal(stateOf(summary, 'a'), 'failed');
    assert.equal(stateOf(summary, 'b'), 'ok');
    const failed = rec.of('host.failed')[0];
    assert.match(failed?.message ?? '', /a: `i1` exited with code 2\n\s+iptables: permission denied/);
    assert.deepEqual(rec.of('phase.finished')[0]?.failed, ['a']);
    assert.deepEqual(summary.counts, { hosts: 2, ok: 1, failed: 1, unreachable: 0, aborted: 0 });
  });

  it('stops new work past max_fail_percentage of a batch and exits 4', async () => {
    const { summary, fleet, rec } = await run({
      hosts: ['h1', 'h2', 'h3', 'h4'],
      scripts: { h1: { replies: { s1: { code: 1 } } } },
      phases: {
        rebuild: { serial: 2, max_fail_percentage: 40, steps: [step('s1')] },
        restore: { steps: [step('r1')] },
      },
    });
    assert.equal(summary.exitCode, 4);
    assert.match(
      summary.aborted ?? '',
      /max_fail_percentage 40% exceeded in phase rebuild \(batch 1\): 1 of 2 hosts failed/,
    );
    assert.equal(rec.of('run.aborted').length, 1);
    assert.ok(
      !fleet.log.some((l) => l.startsWith('h3') || l.startsWith('h4') || l.endsWith(':r1')),
      fleet.log.join(' '),
    );
    assert.equal(stateOf(summary, 'h3'), 'aborted');
    assert.equal(stateOf(summary, 'h1'), 'failed');
  });

  it('does not stop at exactly max_fail_percentage (Ansible: more than)', async () => {
    const { summary } = await run({
      hosts: ['h1', 'h2'],
      scripts: { h1: { replies: { s1: { code: 1 } } } },
      phases: { rebuild: { max_fail_percentage: 50, steps: [step('s1')] }, restore: { steps: [step('r1')] } },
    });
    assert.equal(summary.exitCode, 3);
    assert.equal(stateOf(summary, 'h2'), 'ok');
  });

  it('counts an unreachable host as failed, for the recap and for max-fail', async () => {
    const { summary, rec } = await run({
      hosts: ['up', 'down'],
      scripts: { down: { connectFailures: Infinity } },
      phases: { collect: { max_fail_percentage: 40, steps: [step('c1')] } },
    });
    assert.equal(summary.exitCode, 4);
    const u = rec.of('host.unreachable')[0];
    assert.equal(u?.host, 'down');
    assert.equal(u?.reason, 'refused');
    const r = summary.recap.find((x) => x.host === 'down');
    assert.equal(r?.state, 'unreachable');
    assert.equal(r?.unreachable, true);
    assert.equal(r?.failed, 0, 'an unreachable step is not also counted as a failed step');
  });

  it('reconnects once when the connection dropped between steps', async () => {
    const { summary, fleet } = await run({
      hosts: ['a'],
      scripts: { a: { dropAfterExecs: 1 } },
      phases: { collect: { steps: [step('s1'), step('s2')] } },
    });
    assert.equal(summary.exitCode, 0);
    assert.equal(fleet.transports.get('a')?.connects, 2);
    assert.deepEqual(fleet.log, ['a:s1', 'a:s2']);
  });

  it('fails the host as unreachable when the one reconnect fails', async () => {
    const { summary, rec, fleet } = await run({
      hosts: ['a'],
      scripts: { a: { dropAfterExecs: 1, failReconnects: true } },
      phases: { collect: { steps: [step('s1'), step('s2'), step('s3')] } },
    });
    assert.equal(summary.exitCode, 3);
    assert.equal(fleet.transports.get('a')?.connects, 2);
    assert.match(rec.of('host.unreachable')[0]?.message ?? '', /reconnect failed/);
    assert.equal(rec.of('host.unreachable')[0]?.step, 's2');
  });

  it('makes a connection lost during a command an unreachable host', async () => {
    const { summary } = await run({
      hosts: ['a'],
      scripts: { a: { replies: { s1: { drop: true } } } },
      phases: { collect: { steps: [step('s1')] } },
    });
    assert.equal(stateOf(summary, 'a'), 'unreachable');
  });

  it('a step with retries rides out a connection dropped mid-command: reconnect, retry, ok', async () => {
    const clock = fakeClock();
    const { rec, summary, fleet } = await run({
      hosts: ['a'],
      extra: { clock },
      scripts: { a: { replies: { s1: (n) => (n === 1 ? { drop: true } : { code: 0, stdout: 'ok\n' }) } } },
      phases: { collect: { steps: [step('s1', { retries: 2, delayMs: 1000 })] } },
    });
    assert.equal(summary.exitCode, 0);
    assert.equal(stateOf(summary, 'a'), 'ok');
    assert.equal(fleet.transports.get('a')?.connects, 2, 'reconnected for the retry');
    assert.equal(rec.of('step.retrying').length, 1);
    assert.deepEqual(clock.slept, [1000]);
    assert.equal(rec.of('host.unreachable').length, 0);
  });

  it('without retries, a connection dropped mid-command makes the host unreachable at once', async () => {
    const { summary, fleet } = await run({
      hosts: ['a'],
      scripts: { a: { replies: { s1: { drop: true } } } },
      phases: { collect: { steps: [step('s1')] } },
    });
    assert.equal(stateOf(summary, 'a'), 'unreachable');
    assert.equal(fleet.transports.get('a')?.connects, 1);
  });

  it('retries with delay and emits step.retrying', async () => {
    const clock = fakeClock();
    const { rec, summary } = await run({
      hosts: ['a'],
      extra: { clock },
      scripts: { a: { replies: { flaky: (n) => ({ code: n < 3 ? 1 : 0 }) } } },
      phases: { collect: { steps: [step('flaky', { retries: 5, delayMs: 2000 })] } },
    });
    assert.equal(summary.exitCode, 0);
    assert.deepEqual(
      rec.of('step.retrying').map((e) => `${e.attempt}/${e.of}`),
      ['1/6', '2/6'],
    );
    assert.deepEqual(clock.slept, [2000, 2000]);
    assert.equal(rec.of('step.finished')[0]?.outcome.attempts, 3);
  });

  it('retries until the condition holds, and fails when it never does', async () => {
    const { rec, summary } = await run({
      hosts: ['a'],
      scripts: { a: { replies: { poll: { code: 0, stdout: 'starting\n' } } } },
      phases: { collect: { steps: [step('poll', { retries: 2, until: 'result.stdout contains ready' })] } },
    });
    assert.equal(summary.exitCode, 3);
    assert.equal(rec.of('step.retrying').length, 2);
    assert.match(rec.of('step.finished')[0]?.outcome.message ?? '', /"until" still false after 3 attempt/);
  });

  it('a condition that cannot be evaluated fails the step with its message, not the run', async () => {
    const { rec, summary } = await run({
      hosts: ['a'],
      phases: {
        collect: {
          steps: [
            step('x', { failedWhen: 'nonsense', ignoreErrors: true }),
            step('y', { until: 'nonsense', retries: 2 }),
          ],
        },
      },
    });
    assert.equal(summary.exitCode, 3);
    assert.deepEqual(
      rec.of('step.finished').map((e) => `${e.outcome.status}: ${e.outcome.message}`),
      [
        'ignored: a: step "x": failed_when: cannot read "nonsense"',
        'failed: a: step "y": until: cannot read "nonsense"',
      ],
    );
    assert.equal(rec.of('step.retrying').length, 0, 'evaluating it again would fail again');
  });

  it('ignore_errors marks the step ignored and the host carries on', async () => {
    const { rec, summary } = await run({
      hosts: ['a'],
      scripts: { a: { replies: { bad: { code: 1 } } } },
      phases: { collect: { steps: [step('bad', { ignoreErrors: true }), step('next')] } },
    });
    assert.equal(summary.exitCode, 0);
    assert.deepEqual(
      rec.of('step.finished').map((e) => e.outcome.status),
      ['ignored', 'ok'],
    );
    assert.equal(summary.recap[0]?.ignored, 1);
  });

  it('failed_when replaces the exit-code rule; a timeout always fails', async () => {
    const { rec } = await run({
      hosts: ['a'],
      scripts: { a: { replies: { grep: { code: 1 }, ok0: { code: 0, stdout: 'ERROR\n' }, slow: { timedOut: true } } } },
      phases: {
        collect: {
          steps: [
            step('grep', { failedWhen: 'result.rc > 1' }),
            step('ok0', { failedWhen: 'result.stdout contains ERROR', ignoreErrors: true }),
            step('slow', { failedWhen: false, timeoutMs: 5000 }),
          ],
        },
      },
    });
    const outcomes = rec.of('step.finished').map((e) => e.outcome);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['ok', 'ignored', 'failed'],
    );
    assert.match(outcomes[1]?.message ?? '', /failed_when is true/);
    assert.match(outcomes[2]?.message ?? '', /timed out after 5000 ms/);
    assert.equal(outcomes[2]?.timedOut, true);
  });

  it('register feeds later steps; when=false skips', async () => {
    const { rec, fleet, summary } = await run({
      hosts: ['a', 'b'],
      scripts: { a: { replies: { probe: { stdout: 'yes\n' } } }, b: { replies: { probe: { stdout: 'no\n' } } } },
      phases: {
        collect: { steps: [step('probe', { register: 'p' })] },
        rebuild: {
          steps: [step('fix', { when: (reg) => (reg.p as { stdout: string }).stdout === 'yes\n', changes: true })],
        },
      },
    });
    assert.deepEqual(
      fleet.log.filter((l) => l.endsWith(':fix')),
      ['a:fix'],
    );
    assert.deepEqual(
      rec.of('step.skipped').map((e) => `${e.host}:${e.step}:${e.reason}`),
      ['b:fix:when is false'],
    );
    assert.equal(summary.recap.find((r) => r.host === 'a')?.changed, 1);
    assert.equal(summary.recap.find((r) => r.host === 'b')?.skipped, 1);
    assert.equal(fleet.transports.get('b')?.connects, 1);
  });

  it('a planning error fails the step on that host with the reason', async () => {
    const { rec, summary } = await run({
      hosts: ['a'],
      phases: { collect: { steps: [step('t', { planError: 'unknown variable foo' })] } },
    });
    assert.equal(summary.exitCode, 3);
    assert.match(rec.of('host.failed')[0]?.message ?? '', /cannot plan step "t": unknown variable foo/);
  });

  it('abort kills running commands, closes connections, emits run.aborted and exits 4', async () => {
    const { summary, rec, fleet } = await run({
      hosts: ['a', 'b', 'c'],
      extra: { forks: 2 },
      scripts: { a: { replies: { hang: { hang: true } } }, b: { replies: { hang: { hang: true } } } },
      phases: { collect: { steps: [step('hang'), step('after')] }, rebuild: { steps: [step('r')] } },
      onEvent: (e, abort) => {
        if (e.type === 'step.started' && e.host === 'b') abort('SIGINT');
      },
    });
    assert.equal(summary.exitCode, 4);
    assert.equal(summary.aborted, 'SIGINT');
    assert.deepEqual(
      rec.of('run.aborted').map((e) => e.reason),
      ['SIGINT'],
    );
    assert.ok(fleet.transports.get('a')?.options[0]?.signal?.aborted, 'the signal reached transport.exec');
    assert.ok(
      !fleet.log.some((l) => l.endsWith(':after') || l.endsWith(':r') || l.startsWith('c:')),
      fleet.log.join(' '),
    );
    assert.deepEqual(
      summary.recap.map((r) => r.state),
      ['aborted', 'aborted', 'aborted'],
    );
    for (const t of fleet.transports.values()) assert.equal(t.connected, false);
    assert.equal(rec.events.at(-1)?.type, 'run.finished');
  });

  it('an already aborted signal runs nothing', async () => {
    const ac = new AbortController();
    ac.abort('SIGTERM');
    const { summary, fleet } = await run({
      hosts: ['a'],
      extra: { signal: ac.signal },
      phases: { collect: { steps: [step('x')] } },
    });
    assert.equal(summary.exitCode, 4);
    assert.deepEqual(fleet.log, []);
  });

  it('asks before a confirm phase; a refusal aborts before it runs', async () => {
    const asked: string[] = [];
    const { summary, fleet } = await run({
      hosts: ['a'],
      extra: {
        confirm: async (phase, message) => {
          asked.push(`${phase}: ${message}`);
          return false;
        },
      },
      phases: { collect: { steps: [step('c')] }, rebuild: { confirm: 'Wipe and reinstall?', steps: [step('wipe')] } },
    });
    assert.deepEqual(asked, ['rebuild: Wipe and reinstall?']);
    assert.deepEqual(fleet.log, ['a:c']);
    assert.equal(summary.exitCode, 4);
    assert.match(summary.aborted ?? '', /phase rebuild not confirmed/);
  });

  it('refuses a confirm phase when there is no way to ask', async () => {
    const { summary, fleet } = await run({
      hosts: ['a'],
      phases: { rebuild: { confirm: true, steps: [step('wipe')] } },
    });
    assert.equal(summary.exitCode, 4);
    assert.deepEqual(fleet.log, []);
  });

  it('caps live output lines per step and writes full outputs to files', async () => {
    const big = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const { rec, dir } = await run({
      hosts: ['web01'],
      extra: { outputLimits: { linesPerStep: 5 } },
      scripts: { web01: { replies: { 'ps aux': { stdout: big, stderr: 'warn\n' } } } },
      phases: { collect: { steps: [step('first'), step('List Processes!', { cmd: 'ps aux' })] } },
    });
    const lines = rec.of('step.output').filter((e) => e.step === 'List Processes!');
    assert.equal(lines.length, 6);
    assert.match(
      lines[5]?.text ?? '',
      /output capped at 5 lines; full output in hosts\/web01\/02-collect-list-processes/,
    );
    const fin = rec.of('step.finished')[1]!;
    assert.equal(fin.outcome.stdoutFile, 'hosts/web01/02-collect-list-processes.stdout');
    assert.equal(readFileSync(join(dir, fin.outcome.stdoutFile!), 'utf8'), big);
    assert.equal(readFileSync(join(dir, 'hosts/web01/02-collect-list-processes.stderr'), 'utf8'), 'warn\n');
  });

  it('fetches into the host directory and refuses paths escaping it', async () => {
    const { rec, dir } = await run({
      hosts: ['a'],
      phases: {
        collect: {
          steps: [
            step('fetch', { actions: [{ kind: 'get', remotePath: '/var/log/auth.log', localPath: 'logs/auth.log' }] }),
            step('evil', { actions: [{ kind: 'get', remotePath: '/etc/shadow', localPath: '../../escape' }] }),
          ],
        },
      },
    });
    assert.equal(readFileSync(join(dir, 'hosts/a/logs/auth.log'), 'utf8'), 'content of /var/log/auth.log');
    assert.match(rec.of('host.failed')[0]?.message ?? '', /refusing to write outside the host directory/);
  });

  it('journals every event, writes summary.json, and redacts secrets everywhere', async () => {
    const secret = 's3cr3t-"pw"';
    const { rec, dir, summary } = await run({
      hosts: ['a'],
      extra: { secrets: [secret] },
      scripts: { a: { replies: { leak: { stdout: `password is ${secret}\n`, code: 1 } } } },
      phases: { collect: { steps: [step('leak')] } },
    });
    const journalText = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
    assert.equal(journalText.trim().split('\n').length, rec.events.length);
    assert.deepEqual(
      readJournal(join(dir, 'journal.jsonl')).map((e) => e.type),
      rec.events.map((e) => e.type),
    );
    for (const file of ['journal.jsonl', 'summary.json', 'hosts/a/01-collect-leak.stdout']) {
      const text = readFileSync(join(dir, file), 'utf8');
      assert.ok(!text.includes('s3cr3t'), `${file} leaks the secret`);
      if (!file.startsWith('summary')) assert.ok(text.includes('***'), `${file} shows the redaction`);
    }
    // What the renderers and the recap get (the terminal) is redacted like the journal.
    assert.ok(!JSON.stringify(rec.events).includes('s3cr3t'), 'an event given to a renderer leaks the secret');
    assert.ok(JSON.stringify(rec.of('step.finished')).includes('password is ***'));
    const onDisk = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
    assert.equal(onDisk.exitCode, 3);
    assert.equal(onDisk.runId, summary.runId);
    assert.match(summary.runId, /^20240131T101500Z-test-runbook$/);
    assert.ok(!existsSync(join(dir, 'summary.json.tmp')));
  });

  it("builds a Become from the plan's user name and the run's password, only for become actions", async () => {
    const { fleet, rec, dir } = await run({
      hosts: ['a'],
      extra: {
        becomePassword: 'pw-from-prompt',
        planStep: () => ({
          name: 'as admin',
          type: 'shell',
          actions: [
            { kind: 'exec', command: 'id', become: true },
            { kind: 'exec', command: 'whoami' },
          ],
          timeoutMs: 1000,
          retries: 0,
          delayMs: 0,
          ignoreErrors: false,
          changes: false,
          become: 'admin',
        }),
      },
      scripts: { a: { replies: { id: { stdout: 'echoed pw-from-prompt\n' } } } },
      phases: { collect: { steps: [step('x')] } },
    });
    const opts = fleet.transports.get('a')!.options;
    assert.deepEqual(opts[0]?.become, { user: 'admin', method: 'sudo', password: 'pw-from-prompt' });
    assert.equal(opts[1]?.become, undefined);
    // The command echoes the password: the journal redacts it (becomePassword is a secret).
    assert.ok(!JSON.stringify(rec.of('step.started')).includes('pw-from-prompt'));
    assert.ok(!readFileSync(join(dir, 'journal.jsonl'), 'utf8').includes('pw-from-prompt'));
  });

  it('a fresh-connection confirmation tries new connections within its window; a lost handshake does not fail the step', async () => {
    const confirm = (withinMs: number): FakeStep => ({
      name: 'apply',
      actions: [
        { kind: 'exec', command: 'apply' },
        { kind: 'fresh-connection', onFailure: 'rolled back', withinMs },
        { kind: 'exec', command: 'commit' },
      ],
    });
    const ok = await run({
      hosts: ['a'],
      phases: { isolate: { steps: [confirm(30_000)] } },
      scripts: { a: { freshFailures: 2 } },
    });
    assert.equal(stateOf(ok.summary, 'a'), 'ok');
    assert.equal(ok.fleet.fresh.get('a'), 3, 'two refused, the third got in');
    assert.deepEqual(ok.fleet.log, ['a:apply', 'a:true', 'a:commit']);

    // Without a window (one try), or once the window is spent, the step fails with what happened.
    const once = await run({
      hosts: ['a'],
      phases: { isolate: { steps: [confirm(0)] } },
      scripts: { a: { freshFailures: 1 } },
    });
    assert.equal(stateOf(once.summary, 'a'), 'failed');
    assert.match(once.summary.recap[0]?.message ?? '', /ECONNREFUSED.*; rolled back$/);
    const spent = await run({
      hosts: ['a'],
      phases: { isolate: { steps: [confirm(5_000)] } },
      scripts: { a: { freshFailures: 10 } },
    });
    assert.equal(stateOf(spent.summary, 'a'), 'failed');
    assert.match(spent.summary.recap[0]?.message ?? '', /\(3 attempts in 4 s\); rolled back$/);
    assert.ok(!spent.fleet.log.includes('a:commit'), 'nothing after an unconfirmed change');
  });
});
