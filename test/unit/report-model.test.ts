/**
 * The report model, from a run directory alone: the recorded lab run in test/fixtures/report/run-basic
 * (3 hosts: n001 with the outbound-ssh-bruteforce scenario, n002 clean and failing a check, n003 down),
 * whose numbers are read off its journal; and a synthetic response run for the step types the lab run
 * does not have (isolate, lock_user, kill_process, rebuild, restore, harden, unisolate, unknown ones).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildReportModel, type ReportModel } from '../../src/report/index.js';
import { fleetStat, median, percentile } from '../../src/report/stats.js';
import { FIXED, recordedRun } from './report-fixture.js';
import { responseRun, SyntheticRun } from './report-synthetic.js';

describe('report model: recorded lab run (run-basic)', () => {
  const fixture = recordedRun();
  let model: ReportModel;
  before(() => (model = fixture.model));

  it('header: incident.json, notes and the journal', () => {
    const h = model.header;
    assert.equal(h.incidentId, 'INC-0001');
    assert.equal(h.title, 'Outbound SSH from lab hosts');
    assert.equal(h.severity, 'high');
    assert.equal(h.status, 'contained', 'from the notes');
    assert.deepEqual(h.responders, ['alice (incident lead)', 'bob']);
    assert.equal(h.runId, '20261121T201156Z-report-basic');
    assert.equal(h.runbook, 'report-basic');
    assert.equal(h.firebreakVersion, '0.1.0', 'the version that ran, from incident.json');
    assert.equal(h.reportVersion, '0.0.0-test');
    assert.equal(h.startedAt, '2026-11-21T20:11:56.441Z');
    assert.equal(h.durationMs, 2528);
    assert.equal(h.exitCode, 3);
    assert.equal(h.outcome, 'completed with failures');
    assert.equal(h.startedBy, 'root@vm');
    assert.equal(h.generatedAt, '2026-11-22T09:00:00.000Z');
  });

  it('summary numbers', () => {
    assert.deepEqual(model.summary, {
      hostsTargeted: 3,
      hostsOk: 1,
      hostsIsolated: 0,
      hostsWithFindings: 1,
      hostsWithSevereFindings: 1,
      hostsRebuilt: 0,
      hostsRestored: 0,
      hostsFailed: 1,
      hostsUnreachable: 1,
      hostsAborted: 0,
      stepsRun: 10,
      stepsFailed: 1,
      stepsSkipped: 1,
      stepRetries: 2,
      findings: 33,
      findingsBySeverity: { critical: 0, high: 4, medium: 1, low: 4, info: 24 },
      artifacts: 74,
      evidenceStatus: 'verified',
    });
  });

  it('phase durations from the phase events', () => {
    assert.deepEqual(
      model.phases.map((p) => [p.phase, p.durationMs, p.batches, p.hostsOk, p.hostsFailed]),
      [
        ['isolate', 151, 1, 2, 1],
        ['collect', 2364, 1, 1, 1],
      ],
    );
  });

  it('hosts: state per phase, findings by severity, evidence, steps', () => {
    const row = (h: string) => model.hosts.find((x) => x.host === h)!;
    assert.deepEqual(
      model.hosts.map((h) => [h.host, h.anchor, h.state]),
      [
        ['n001', 'host-n001', 'ok'],
        ['n002', 'host-n002', 'failed'],
        ['n003', 'host-n003', 'unreachable'],
      ],
    );
    assert.deepEqual(
      row('n003').phases.map((p) => p.state),
      ['unreachable', null],
    );
    assert.deepEqual(row('n001').findingsBySeverity, { critical: 0, high: 4, medium: 1, low: 3, info: 13 });
    assert.deepEqual([row('n001').evidence, row('n002').evidence, row('n003').evidence], [37, 37, 0]);
    const n001 = row('n001').steps;
    assert.deepEqual(
      n001.map((s) => [s.step, s.type, s.status, s.attempts, s.retries]),
      [
        ['save firewall rules', 'shell', 'ok', 1, 0],
        ['evidence', 'collect', 'ok', 1, 0],
        ['wait for marker', 'shell', 'ok', 2, 1],
        ['only on n002', null, 'skipped', 0, 0],
        ['check dropper', 'shell', 'ok', 1, 0],
      ],
    );
    assert.equal(n001[3]!.note, 'when is false: eq inventory_hostname "n002"');
    assert.equal(n001[1]!.findings, 21);
    assert.equal(row('n003').steps[0]!.status, 'unreachable');
  });

  it('findings grouped by kind and severity, most severe first, linked to their artifacts', () => {
    const f = model.findings;
    assert.equal(f.total, 33);
    assert.deepEqual(
      f.groups.slice(0, 4).map((g) => [g.severity, g.kind, g.count, g.hosts]),
      [
        ['high', 'network.outbound_ssh', 1, ['n001']],
        ['high', 'persistence.cron', 2, ['n001']],
        ['high', 'process.suspicious', 1, ['n001']],
        ['medium', 'account.sudo', 1, ['n001']],
      ],
    );
    const outbound = f.groups[0]!.items[0]!;
    assert.deepEqual(outbound.evidenceIds, ['ev-000007']);
    assert.equal(model.evidence.entries.find((e) => e.id === 'ev-000007')!.label, 'network/ss-tanp');
    assert.equal(
      f.groups.reduce((n, g) => n + g.count, 0),
      33,
    );
  });

  it('evidence register: every artifact, verified now', () => {
    const e = model.evidence;
    assert.equal(e.status, 'verified');
    assert.equal(e.signature, 'valid');
    assert.equal(e.artifactsFrom, 'manifest');
    assert.equal(e.errors, 0);
    assert.equal(e.entries.length, 74);
    assert.equal(e.totalBytes, 98005);
    assert.deepEqual(e.entries[0], {
      id: 'ev-000001',
      host: 'n001',
      hostAnchor: 'host-n001',
      phase: 'collect',
      step: 'evidence',
      label: 'processes/ps',
      sourceKind: 'command',
      source: e.entries[0]!.source,
      size: 2639,
      sha256: e.entries[0]!.sha256,
      sha256AtSource: e.entries[0]!.sha256,
      match: true,
      collectedAt: e.entries[0]!.collectedAt,
      storedAt: '2026-11-21T20:11:56.624Z',
      collectedBy: 'root@vm',
      problems: [],
    });
    assert.match(e.entries[0]!.source, /^LC_ALL=C ps -eo /);
  });

  it('metrics: time to collect per host and fleet-wide; nothing contained or recovered', () => {
    const m = model.metrics;
    assert.deepEqual(m.collect, { count: 2, of: 3, medianMs: 2152.5, p95Ms: 2170, maxMs: 2170 });
    assert.deepEqual(m.contain, { count: 0, of: 3, medianMs: null, p95Ms: null, maxMs: null });
    assert.deepEqual(
      m.hosts.map((h) => [h.host, h.collectMs]),
      [
        ['n001', 2135],
        ['n002', 2170],
        ['n003', null],
      ],
    );
  });

  it('failures: the unreachable host, the failed step with its stderr, what was left undone', () => {
    const f = model.failures;
    assert.equal(f.total, 2);
    assert.deepEqual(
      f.unreachable.map((u) => [u.host, u.phase, u.step, u.reason]),
      [['n003', 'isolate', 'save firewall rules', 'refused']],
    );
    assert.equal(f.failedSteps.length, 1, 'the step lost with the connection is counted as unreachable, not failed');
    assert.deepEqual(
      {
        host: f.failedSteps[0]!.host,
        step: f.failedSteps[0]!.step,
        rc: f.failedSteps[0]!.rc,
        stderr: f.failedSteps[0]!.stderr,
        file: f.failedSteps[0]!.stderrFile,
      },
      {
        host: 'n002',
        step: 'check dropper',
        rc: 1,
        stderr: ['no dropper here'],
        file: 'hosts/n002/05-collect-check-dropper.stderr',
      },
    );
    assert.deepEqual(
      f.undone.map((u) => [u.host, u.what]),
      [
        ['n002', 'phases not completed: collect'],
        ['n003', 'phases not completed: isolate, collect'],
      ],
    );
  });

  it('actions: a read-only run made none', () => {
    assert.deepEqual(model.actions, { total: 0, groups: [], rolledBack: [] });
  });

  it('lessons from the notes kept in the run directory, or from --notes', async () => {
    assert.equal(model.lessons.present, true);
    assert.equal(model.lessons.source, 'notes.yaml');
    assert.deepEqual(model.lessons.actionItems, [
      {
        what: 'Bring n003 back and collect its evidence',
        owner: 'bob',
        due: '2026-12-01',
        status: null,
        ticket: 'OPS-12',
      },
      { what: 'Add an isolate step to the runbook', owner: null, due: null, status: null, ticket: null },
    ]);
    const other = path.join(fixture.dir, '..', 'other-notes.yaml');
    writeFileSync(other, 'status: resolved\nwent_well: [fast]\n');
    const m = await buildReportModel(fixture.dir, { ...FIXED, notesFile: other });
    assert.equal(m.header.status, 'resolved');
    assert.deepEqual(m.lessons.wentWell, ['fast']);
    assert.equal(m.lessons.source, other);
  });

  it('the timeline lists run and phase boundaries, retries, failures and the unreachable host in order', () => {
    const t = model.timeline;
    assert.equal(t.length, 10);
    assert.equal(t[0]!.offsetMs, 0);
    assert.deepEqual(
      t.filter((e) => e.level === 'error').map((e) => e.host),
      ['n003', 'n002'],
    );
    assert.equal(t.filter((e) => /retrying/.test(e.text)).length, 2);
    assert.ok(t.every((e, i) => i === 0 || e.offsetMs >= t[i - 1]!.offsetMs));
  });
});

describe('report model: a synthetic response (isolate → restore)', () => {
  let model: ReportModel;
  let run: ReturnType<SyntheticRun['write']>;

  before(async () => {
    run = responseRun().write();
    model = await buildReportModel(run.dir, FIXED);
  });
  after(() => run.cleanup());

  it('counts isolated, rebuilt and restored hosts from the step types', () => {
    const s = model.summary;
    assert.deepEqual(
      [s.hostsTargeted, s.hostsIsolated, s.hostsRebuilt, s.hostsRestored, s.hostsFailed, s.hostsUnreachable],
      [4, 2, 2, 2, 1, 1],
    );
    assert.equal(s.hostsWithFindings, 2);
    assert.equal(model.header.status, 'open', 'derived: not every host contained');
  });

  it('metrics: time to contain, collect, rebuild and recover, median / p95 / max', () => {
    const m = model.metrics;
    assert.deepEqual(m.contain, { count: 2, of: 4, medianMs: 1500, p95Ms: 2000, maxMs: 2000 });
    assert.deepEqual(m.collect, { count: 2, of: 4, medianMs: 7500, p95Ms: 9000, maxMs: 9000 });
    assert.deepEqual(m.rebuild, { count: 2, of: 4, medianMs: 11000, p95Ms: 12000, maxMs: 12000 });
    assert.deepEqual(m.recover, { count: 2, of: 4, medianMs: 17000, p95Ms: 19000, maxMs: 19000 });
    assert.deepEqual(
      model.hosts.map((h) => [h.host, h.containMs, h.recoverMs]),
      [
        ['a1', 1000, 15000],
        ['a2', 2000, 19000],
        ['a3', null, null],
        ['a4', null, null],
      ],
    );
  });

  it('actions grouped by step type in response order, unknown types kept, rules deduplicated', () => {
    const a = model.actions;
    assert.deepEqual(
      a.groups.map((g) => [g.type, g.title, g.actions.map((x) => x.host)]),
      [
        ['isolate', 'Isolations', ['a1', 'a2', 'a3', 'a4']],
        ['lock_user', 'Locked users', ['a1']],
        ['kill_process', 'Killed processes', ['a1']],
        ['rebuild', 'Rebuilds', ['a1', 'a2']],
        ['restore', 'Restores', ['a1', 'a2']],
        ['unisolate', 'Network restored (unisolate)', ['a2']],
        ['harden', 'Hardening changes', ['a1']],
        ['quarantine_file', 'Other changes (quarantine_file)', ['a1']],
      ],
    );
    assert.equal(a.total, 13);
    assert.deepEqual(isolateStatuses(a.groups[0]!.actions), ['changed', 'changed', 'failed', 'unreachable']);
    const isolate = a.groups[0]!;
    assert.deepEqual(
      isolate.commandSets.map((c) => c.hosts),
      [['a1', 'a2', 'a3', 'a4']],
    );
    assert.equal(isolate.commandSets[0]!.commands[1], 'iptables -P INPUT DROP');
    assert.deepEqual(isolate.actions[0]!.output, [
      'isolated: 3 rules applied',
      'management channel 198.18.0.1:22 kept',
    ]);
    const killed = a.groups[2]!.actions[0]!;
    assert.deepEqual(
      killed.artifacts.map((x) => [x.label, x.size]),
      [['kill_process/exe-4242', 1_234_567]],
    );
    assert.match(killed.artifacts[0]!.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      a.groups[3]!.actions.map((x) => x.hostKey),
      [
        { old: 'SHA256:old1', new: 'SHA256:new1' },
        { old: 'SHA256:old2', new: 'SHA256:new2' },
      ],
    );
    assert.deepEqual(
      a.rolledBack.map((x) => [x.host, x.type]),
      [['a3', 'isolate']],
      'the dead-man rollback, not the planned unisolate',
    );
  });

  it('failures: the rolled-back isolation with its telling stderr line, the unreachable host', () => {
    const f = model.failures;
    assert.deepEqual(
      f.failedSteps.map((s) => [s.host, s.step, s.stderr]),
      [['a3', 'cut the network', ['ssh: connect to host a3 port 22: Connection timed out']]],
    );
    assert.deepEqual(
      f.unreachable.map((u) => u.host),
      ['a4'],
    );
    assert.deepEqual(
      f.undone.map((u) => [u.host, u.what]),
      [
        ['a3', 'phases not completed: isolate, collect, rebuild, restore'],
        ['a4', 'phases not completed: isolate, collect, rebuild, restore'],
      ],
    );
  });

  it('evidence the journal records without a store is a verification failure, not a silent gap', () => {
    assert.equal(model.evidence.status, 'failed');
    assert.equal(model.evidence.artifactsFrom, 'journal');
    assert.deepEqual(
      model.evidence.problems.map((p) => p.code),
      ['store-missing'],
    );
    assert.equal(model.evidence.entries.length, 3);
  });

  it('a run that never finished: outcome incomplete, hosts as far as the journal goes', async () => {
    const r = new SyntheticRun();
    r.push(0, {
      type: 'run.started',
      runId: 'crashed',
      runbook: 'rb',
      runDir: '/x',
      hosts: ['h1'],
      phases: ['collect'],
      forks: 1,
    });
    r.push(1, { type: 'phase.started', phase: 'collect', batch: 1, batches: 1, hosts: ['h1'] });
    r.push(2, { type: 'host.started', host: 'h1', phase: 'collect' });
    r.push(3, {
      type: 'step.started',
      host: 'h1',
      phase: 'collect',
      step: 's',
      index: 1,
      commands: ['sleep 100'],
      stepType: 'shell',
    });
    const w = r.write();
    try {
      const m = await buildReportModel(w.dir, FIXED);
      assert.equal(m.header.outcome, 'incomplete (the run has no recorded end)');
      assert.equal(m.header.exitCode, null);
      assert.equal(m.hosts[0]!.steps[0]!.status, 'running');
      assert.equal(m.phases[0]!.durationMs, null);
      assert.equal(m.evidence.status, 'absent');
      assert.equal(m.lessons.present, false);
    } finally {
      w.cleanup();
    }
  });
});

function isolateStatuses(actions: ReportModel['actions']['groups'][number]['actions']): string[] {
  return actions.map((a) => a.status);
}

describe('report statistics', () => {
  it('median of odd and even counts, nearest-rank p95, max', () => {
    assert.equal(median([1, 2, 3]), 2);
    assert.equal(median([1, 2, 3, 4]), 2.5);
    assert.equal(median([]), null);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(hundred, 95), 95);
    assert.equal(percentile([5], 95), 5);
    assert.equal(percentile([1, 2], 95), 2);
    assert.deepEqual(fleetStat([3, null, 1, 2], 5), { count: 3, of: 5, medianMs: 2, p95Ms: 3, maxMs: 3 });
  });
});
