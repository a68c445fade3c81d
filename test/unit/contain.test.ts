/**
 * Deciding per host from what it showed: the `has_findings` helper in conditions (plan time and run
 * time, templated thresholds) and the `end_host` step (planned with the evidence it rests on; run:
 * the host's part of the run ends, not failed, in the journal, the recap and on resume).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding, Host, HostEnd, RunEvent } from '../../src/core/index.js';
import { startRun } from '../../src/engine/executor.js';
import { formatPlan } from '../../src/engine/plan-format.js';
import { planRun, planStep, type StepContext } from '../../src/engine/planner.js';
import { replayJournal } from '../../src/engine/replay.js';
import { readJournal } from '../../src/journal/index.js';
import { formatRecap, plainLine, recapInputFromEvents } from '../../src/render/index.js';
import { evalCondition, parseRunbookYaml, type Step } from '../../src/runbook/index.js';
import { FakeFleet, Recorder, collectRun, type FakeStep } from './executor-fakes.js';

const host: Host = { name: 'n007', vars: {}, groups: [] };
const finding = (kind: string, severity: Finding['severity']): Finding =>
  ({ kind, severity, summary: `${kind} ${severity}`, detail: {} }) as unknown as Finding;
const result = (findings: Finding[], artifacts: string[] = []) => ({
  rc: 0,
  stdout: '',
  skipped: false,
  findings,
  artifacts: artifacts.map((id) => ({ id, label: id, source: { kind: 'command', value: 'x' }, size: 1 })),
});
const ctx = (registered: Record<string, unknown>, params: Record<string, unknown> = {}): StepContext => ({
  host,
  params,
  registered,
  runbookDir: '/rb',
  remoteTmp: '/tmp/.fb-x',
});
const step = (yamlStep: string): Step =>
  parseRunbookYaml(`name: t\nphases:\n  isolate:\n    - ${yamlStep}\n`, 't.yaml').phases.isolate?.steps[0] as Step;
const cond = (c: string, registered: Record<string, unknown>, params: Record<string, unknown> = {}): boolean =>
  evalCondition(c, { params, ...registered });

describe('has_findings', () => {
  const registered = {
    triage: result([finding('network.outbound_ssh', 'high'), finding('persistence.cron', 'medium')]),
    quiet: result([finding('system.info', 'info')]),
  };

  it('a named result: true at or below its worst finding, false above', () => {
    assert.equal(cond('has_findings triage "high"', registered), true);
    assert.equal(cond('has_findings triage "critical"', registered), false);
    assert.equal(cond('has_findings quiet "low"', registered), false);
    assert.equal(cond('has_findings quiet "info"', registered), true);
  });

  it('without a result: any result registered on the host so far', () => {
    assert.equal(cond('has_findings "high"', registered), true);
    assert.equal(cond('has_findings "high"', { quiet: registered.quiet }), false);
    assert.equal(cond('has_findings "info"', {}), false, 'nothing registered: nothing found');
  });

  it('kind= keeps a kind and its sub-kinds, never a mere prefix of a word', () => {
    assert.equal(cond('has_findings triage "medium" kind="persistence"', registered), true);
    assert.equal(cond('has_findings triage "high" kind="persistence"', registered), false);
    assert.equal(cond('has_findings triage "low" kind="persist"', registered), false);
    assert.equal(cond('has_findings triage "low" kind="network.outbound_ssh"', registered), true);
  });

  it('kind= may list kinds: words, or a list param (signs of compromise, not every high finding)', () => {
    const attacked = { seen: result([finding('login.failed', 'high')]) };
    const signs = ['network.outbound_ssh', 'process.suspicious', 'persistence'];
    assert.equal(cond('has_findings "high"', attacked), true);
    assert.equal(
      cond('has_findings "high" kind=params.signs', attacked, { signs }),
      false,
      'attacked is not compromised',
    );
    assert.equal(cond('has_findings "high" kind=params.signs', registered, { signs }), true);
    assert.equal(cond('has_findings "medium" kind="login.failed, persistence"', registered), true);
    assert.equal(cond('has_findings "high" kind="login.failed persistence"', registered), false);
    assert.throws(() => cond('has_findings "high" kind=""', registered), /kind= names no finding kind/);
  });

  it('templated thresholds: a param as the severity', () => {
    assert.equal(cond('has_findings triage params.bar', registered, { bar: 'high' }), true);
    assert.equal(cond('has_findings triage params.bar', registered, { bar: 'critical' }), false);
    assert.equal(cond('not (has_findings triage params.bar)', registered, { bar: 'critical' }), true);
  });

  it('an unknown severity or a result that is not one is an error, never a silent false', () => {
    assert.throws(() => cond('has_findings triage "hgih"', registered), /unknown severity "hgih".*info, low, medium/);
    assert.throws(() => cond('has_findings "x" "high"', registered), /must be a registered result/);
    assert.throws(() => cond('has_findings', registered), /takes a severity/);
    assert.throws(() => cond('has_findings trige "high"', registered), /trige/);
  });

  it('at plan time a condition on findings is decided at run time, for every host', () => {
    const rb = parseRunbookYaml(
      [
        'name: t',
        'phases:',
        '  isolate:',
        '    - { name: triage, collect: { sets: [processes] }, register: triage }',
        '    - { name: leave in service, when: not (has_findings triage "high"), end_host: clean }',
        '    - { name: cut off, shell: "true", when: has_findings "high" }',
      ].join('\n'),
      't.yaml',
    );
    const plan = planRun(rb, [host], {}, { runbookDir: '/rb' });
    const steps = plan.hosts[0]!.phases[0]!.steps;
    assert.deepEqual(
      steps.map((s) => [s.name, s.whenAtRunTime ?? false, s.skip]),
      [
        ['triage', false, undefined],
        ['leave in service', true, undefined],
        ['cut off', true, undefined],
      ],
    );
    assert.match(
      formatPlan(plan),
      /2\. leave in service {2}\(when decided at run time\)\n +end this host's part of the run: clean\n/,
    );
  });
});

describe('end_host: planning', () => {
  it('plans no action, and the reason with the evidence and findings of `from`', () => {
    const registered = {
      triage: result([finding('network.outbound_ssh', 'medium'), finding('x.y', 'low')], ['ev-000003', 'ev-000004']),
      more: result([], ['ev-000009']),
    };
    const p = planStep(
      step('{name: leave, end_host: {reason: "not contained: nothing above low", from: [triage, more]}}'),
      ctx(registered),
    );
    assert.deepEqual(p.actions, []);
    assert.deepEqual(p.endHost, {
      reason: 'not contained: nothing above low',
      evidence: ['ev-000003', 'ev-000004', 'ev-000009'],
      findings: 2,
      highest: 'medium',
    } satisfies HostEnd);
    assert.deepEqual(planStep(step('{end_host: "just stop"}'), ctx({})).endHost, {
      reason: 'just stop',
      evidence: [],
      findings: 0,
      highest: null,
    });
  });

  it('the reason is a template; a `from` nothing registered is an error naming it', () => {
    const p = planStep(step('{end_host: "{{inventory_hostname}}: clean"}'), ctx({}));
    assert.equal(p.endHost?.reason, 'n007: clean');
    assert.throws(
      () => planStep(step('{end_host: {reason: x, from: triag}}'), ctx({ triage: result([]) })),
      /no earlier step on this host registered "triag" \(registered: triage\)/,
    );
  });

  it('refuses an empty reason and unknown fields at load time', () => {
    assert.throws(() => step('{end_host: ""}'), /end_host/);
    assert.throws(() => step('{end_host: {reason: x, when: y}}'), /when/);
  });
});

describe('end_host: running', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'fb-contain-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const ended: HostEnd = {
    reason: 'clean: stays in service',
    evidence: ['ev-000001', 'ev-000002'],
    findings: 0,
    highest: null,
  };
  /** Host `b` ends in isolate after its triage; `a` goes on through collect. */
  const runbook = (cleanHosts: string[]) => ({
    name: 'targeted',
    phases: {
      isolate: {
        steps: [
          { name: 'triage' },
          { name: 'leave', actions: [], when: (_: unknown, h: string) => cleanHosts.includes(h), endHost: ended },
          { name: 'cut off' },
        ] as FakeStep[],
      },
      collect: { steps: [{ name: 'collect' }] as FakeStep[] },
    },
  });

  it('ends the host: no later step or phase on it, not failed, journaled, in the plain line and the recap', async () => {
    const fleet = new FakeFleet();
    const rec = new Recorder();
    const h = startRun({
      ...collectRun({ fleet, runsDir: base, name: 'targeted', hosts: ['a', 'b'], steps: [] }),
      runbook: runbook(['b']),
      sinks: [rec],
    });
    const summary = await h.done;
    assert.equal(summary.exitCode, 0);
    assert.deepEqual(
      fleet.log.filter((l) => l.startsWith('b:')),
      ['b:triage'],
    );
    assert.deepEqual(
      fleet.log.filter((l) => l.startsWith('a:')),
      ['a:triage', 'a:cut off', 'a:collect'],
    );
    const endedEvents = rec.of('host.ended');
    assert.deepEqual(
      endedEvents.map((e) => [e.host, e.phase, e.step, e.index, e.reason, e.evidence]),
      [['b', 'isolate', 'leave', 2, 'clean: stays in service', ['ev-000001', 'ev-000002']]],
    );
    assert.deepEqual(
      readJournal(join(h.runDir, 'journal.jsonl'))
        .filter((e) => e.type === 'host.ended')
        .map((e) => e.host),
      ['b'],
    );
    const b = summary.recap.find((r) => r.host === 'b')!;
    assert.equal(b.state, 'ok');
    assert.equal(b.ended, 'clean: stays in service');
    assert.equal(summary.counts.ok, 2);
    assert.match(
      plainLine(endedEvents[0] as RunEvent) ?? '',
      /^b \| isolate \| leave \| ENDED: clean: stays in service \(evidence ev-000001…ev-000002, 2 artifacts; no findings\)$/,
    );
    const recap = formatRecap(recapInputFromEvents(readJournal(join(h.runDir, 'journal.jsonl'))));
    assert.match(recap, /b +ok +ok=\d.*ended: clean: stays in service \(evidence ev-000001…ev-000002/);
    assert.match(recap, /2 host\(s\): 2 ok \(1 ended early by end_host\), 0 failed/);
  });

  it('an ended host is not marked aborted when the run is stopped later', async () => {
    const fleet = new FakeFleet({ a: { replies: { collect: { hang: true } } } });
    const rec = new Recorder();
    const h = startRun({
      ...collectRun({ fleet, runsDir: base, name: 'targeted', hosts: ['a', 'b'], steps: [] }),
      runbook: runbook(['b']),
      sinks: [rec, { emit: (e) => e.type === 'step.started' && e.step === 'collect' && h.abort('operator') }],
    });
    const summary = await h.done;
    assert.equal(summary.recap.find((r) => r.host === 'b')?.state, 'ok');
    assert.equal(summary.recap.find((r) => r.host === 'a')?.state, 'aborted');
  });

  it('resumed after a crash between the step and host.ended: the end is journaled once and the host stays out', async () => {
    const fleet = new FakeFleet();
    const first = startRun({
      ...collectRun({ fleet, runsDir: base, name: 'targeted', hosts: ['a', 'b'], steps: [] }),
      runbook: runbook(['b']),
    });
    await first.done;
    // The crash: b's `leave` finished, its host.ended and everything after are lost.
    const lines = readFileSync(join(first.runDir, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean);
    const cut = lines.findIndex((l) => (JSON.parse(l) as RunEvent).type === 'host.ended');
    const dir = join(base, 'cut', first.runId);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'journal.jsonl'), lines.slice(0, cut).join('\n') + '\n');
    const kept = readJournal(join(dir, 'journal.jsonl'));
    const position = replayJournal(kept);
    assert.equal(position.hosts.get('b')?.ended, undefined);
    const again = new FakeFleet();
    const rec = new Recorder();
    const resumed = startRun({
      ...collectRun({ fleet: again, runsDir: base, name: 'targeted', hosts: ['a', 'b'], steps: [] }),
      runbook: runbook(['b']),
      resume: { runDir: dir, events: kept, position },
      sinks: [rec],
    });
    const summary = await resumed.done;
    assert.deepEqual(
      rec.of('host.ended').map((e) => e.host),
      ['b'],
    );
    assert.deepEqual(
      again.log.filter((l) => l.startsWith('b:')),
      [],
    );
    assert.equal(summary.recap.find((r) => r.host === 'b')?.ended, 'clean: stays in service');
    assert.equal(replayJournal(readJournal(join(dir, 'journal.jsonl'))).hosts.get('b')?.ended, true);
  });
});
