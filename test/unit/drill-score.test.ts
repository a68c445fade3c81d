/**
 * Drill scoring on synthetic journals: detection coverage and false positives, containment, recovery,
 * attack traffic after isolation, what each fault did to the run, the verdict against thresholds, and
 * the strengths and areas to improve derived from them.
 */
import assert from 'node:assert/strict';
import type { Finding, HostRecap, RunEvent, StepOutcome } from '../../src/core/index.js';
import {
  compareScorecards,
  formatScorecard,
  scoreDrill,
  type EgressSample,
  type HostRole,
  type Scorecard,
  type Thresholds,
} from '../../src/drill/index.js';
import {
  insights,
  judge,
  scoreAttackTraffic,
  scoreContainment,
  scoreDetection,
  scoreFalsePositives,
  scoreFault,
  scoreRecovery,
  scoreResilience,
  timeStats,
  type FaultLogEntry,
  type PlantedIndicator,
} from '../../src/drill/score/index.js';

const T0 = Date.parse('2026-01-01T10:00:00.000Z');
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();

type Input = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'at'> : never) : never;
const ev = (s: number, e: Input): RunEvent => ({ ...e, at: at(s) }) as RunEvent;

/** step.started + step.finished of one step. */
function step(
  host: string,
  phase: 'isolate' | 'collect' | 'rebuild' | 'restore',
  index: number,
  type: string,
  from: number,
  to: number,
  status: StepOutcome['status'] = 'ok',
  extra: Partial<StepOutcome> = {},
): RunEvent[] {
  const name = `${type} step`;
  return [
    ev(from, { type: 'step.started', host, phase, step: name, index, commands: [], stepType: type }),
    ev(to, {
      type: 'step.finished',
      host,
      phase,
      step: name,
      index,
      outcome: { status, durationMs: (to - from) * 1000, ...extra },
    }),
  ];
}

function finding(
  s: number,
  host: string,
  kind: Finding['kind'],
  severity: Finding['severity'],
  summary = `${kind} on ${host}`,
): RunEvent {
  return ev(s, {
    type: 'finding',
    host,
    phase: 'collect',
    step: 'collect step',
    finding: { host, kind, severity, summary, detail: {} },
  });
}

function recap(states: Record<string, HostRecap['state']>): HostRecap[] {
  return Object.entries(states).map(([host, state]) => ({
    host,
    state,
    ok: 0,
    changed: 0,
    failed: 0,
    skipped: 0,
    ignored: 0,
    unreachable: state === 'unreachable',
  }));
}

const roles: HostRole[] = [
  { host: 'n001', scenario: 'outbound-ssh-bruteforce', compromised: true },
  { host: 'n002', scenario: 'outbound-ssh-bruteforce', compromised: true },
  { host: 'n003', scenario: 'clean', compromised: false },
  { host: 'n004', scenario: null, compromised: false },
  { host: 'n005', scenario: 'disk-full', compromised: false },
];

const planted: PlantedIndicator[] = [
  {
    host: 'n001',
    scenario: 'outbound-ssh-bruteforce',
    id: 'dropper-process',
    description: 'd',
    finding: 'process.suspicious',
    verified: true,
  },
  {
    host: 'n001',
    scenario: 'outbound-ssh-bruteforce',
    id: 'cron-root',
    description: 'd',
    finding: 'persistence.cron',
    verified: true,
  },
  {
    host: 'n001',
    scenario: 'outbound-ssh-bruteforce',
    id: 'backdoor-user',
    description: 'd',
    finding: 'account.sudo',
    verified: true,
  },
  { host: 'n001', scenario: 'outbound-ssh-bruteforce', id: 'history-root', description: 'd', verified: true },
  {
    host: 'n002',
    scenario: 'outbound-ssh-bruteforce',
    id: 'dropper-process',
    description: 'd',
    finding: 'process.suspicious',
    verified: true,
  },
  {
    host: 'n002',
    scenario: 'outbound-ssh-bruteforce',
    id: 'outbound-ssh',
    description: 'd',
    finding: 'network.outbound_ssh',
    verified: false,
  },
  { host: 'n005', scenario: 'disk-full', id: 'disk-usage', description: 'd', finding: 'disk.usage', verified: true },
];

/**
 * n001 isolated at 4 s, rebuilt at 20 s, restored at 30 s; n002's isolation failed after a retry;
 * n003 (clean, sshd down) unreachable; n004 (clean) isolated by mistake at 3 s and shows a medium finding;
 * n005's rebuild failed.
 */
const events: RunEvent[] = [
  ev(0, {
    type: 'run.started',
    runId: 'r1',
    runbook: 'rb',
    runDir: '/runs/r1',
    hosts: roles.map((r) => r.host),
    phases: ['isolate', 'collect', 'rebuild', 'restore'],
    forks: 10,
  }),
  ev(0, { type: 'phase.started', phase: 'isolate', batch: 1, batches: 1, hosts: roles.map((r) => r.host) }),
  ...step('n001', 'isolate', 1, 'isolate', 1, 4),
  ev(1, {
    type: 'step.started',
    host: 'n002',
    phase: 'isolate',
    step: 'isolate step',
    index: 1,
    commands: [],
    stepType: 'isolate',
  }),
  ev(2, {
    type: 'step.retrying',
    host: 'n002',
    phase: 'isolate',
    step: 'isolate step',
    attempt: 1,
    of: 2,
    delayMs: 1000,
    message: 'exit 1',
  }),
  ev(5, {
    type: 'step.finished',
    host: 'n002',
    phase: 'isolate',
    step: 'isolate step',
    index: 1,
    outcome: { status: 'failed', durationMs: 4000 },
  }),
  ev(5, { type: 'host.failed', host: 'n002', phase: 'isolate', step: 'isolate step', message: 'n002: isolate failed' }),
  ...step('n003', 'isolate', 1, 'isolate', 1, 1.5, 'failed'),
  ev(1.5, {
    type: 'host.unreachable',
    host: 'n003',
    phase: 'isolate',
    step: 'isolate step',
    reason: 'refused',
    message: 'n003: connection refused',
  }),
  ...step('n004', 'isolate', 1, 'isolate', 1, 3),
  ...step('n005', 'isolate', 1, 'shell', 1, 2),
  ...step('n001', 'collect', 2, 'collect', 5, 8),
  finding(8, 'n001', 'process.suspicious', 'high', 'PID 50 kworker runs a deleted binary'),
  finding(8, 'n001', 'persistence.cron', 'high'),
  finding(8, 'n002', 'process.suspicious', 'high'),
  finding(8, 'n004', 'account.sudo', 'medium'),
  finding(8, 'n004', 'ssh.authorized_key', 'low'),
  finding(8, 'n005', 'disk.usage', 'high'),
  ...step('n001', 'rebuild', 3, 'rebuild', 10, 20, 'changed'),
  ev(20, { type: 'host.finished', host: 'n001', phase: 'rebuild', state: 'ok' }),
  ...step('n005', 'rebuild', 3, 'rebuild', 10, 25, 'failed'),
  ev(25, { type: 'host.finished', host: 'n005', phase: 'rebuild', state: 'failed' }),
  ...step('n001', 'restore', 4, 'restore', 21, 30, 'changed'),
  ev(30, { type: 'host.finished', host: 'n001', phase: 'restore', state: 'ok' }),
  ev(31, {
    type: 'run.finished',
    exitCode: 3,
    durationMs: 31_000,
    recap: recap({ n001: 'ok', n002: 'failed', n003: 'unreachable', n004: 'ok', n005: 'failed' }),
  }),
];

const sample = (
  host: string,
  s: number,
  packets: number,
  source: EgressSample['source'] = 'isolation',
): EgressSample => ({
  host,
  at: at(s),
  windowSeconds: 3,
  packets,
  destinations: packets ? { '198.18.0.12': packets } : {},
  source,
});

describe('drill scoring: detection', () => {
  it('counts an indicator found when a finding on its host has its finding kind; unverified and kind-less indicators are not scored', () => {
    const d = scoreDetection(planted, events);
    const found = d.indicators.filter((i) => i.found).map((i) => `${i.host}/${i.id}`);
    assert.deepEqual(found, ['n001/dropper-process', 'n001/cron-root', 'n002/dropper-process', 'n005/disk-usage']);
    assert.equal(
      d.indicators.find((i) => i.id === 'dropper-process' && i.host === 'n001')?.foundBy,
      'PID 50 kworker runs a deleted binary',
    );
    assert.deepEqual(
      d.indicators.filter((i) => !i.scored).map((i) => `${i.host}/${i.id}`),
      ['n001/history-root', 'n002/outbound-ssh'],
    );
    assert.deepEqual(d.overall, { found: 4, planted: 5, ratio: 0.8 });
    assert.deepEqual(d.byScenario, {
      'disk-full': { found: 1, planted: 1, ratio: 1 },
      'outbound-ssh-bruteforce': { found: 3, planted: 4, ratio: 0.75 },
    });
  });

  it('a finding of the right kind on another host does not count', () => {
    const d = scoreDetection(
      [{ host: 'n003', scenario: 'x', id: 'i', description: 'd', finding: 'process.suspicious', verified: true }],
      events,
    );
    assert.deepEqual(d.overall, { found: 0, planted: 1, ratio: 0 });
  });

  it('nothing planted: coverage has no ratio', () => {
    assert.deepEqual(scoreDetection([], events).overall, { found: 0, planted: 0, ratio: null });
  });

  it('false positives: findings of medium severity or worse on hosts with nothing or only clean planted', () => {
    const fp = scoreFalsePositives(roles, events);
    assert.deepEqual(fp.cleanHosts, ['n003', 'n004']);
    assert.equal(fp.count, 1);
    assert.deepEqual(
      fp.findings.map((f) => [f.host, f.kind]),
      [['n004', 'account.sudo']],
    );
  });
});

describe('drill scoring: response', () => {
  it('containment: run start → first isolate step finished ok, per compromised host', () => {
    const c = scoreContainment(roles, events);
    assert.deepEqual(c.contained, [{ host: 'n001', seconds: 4 }]);
    assert.deepEqual(c.uncontained, ['n002']);
    assert.deepEqual(c.isolatedNotCompromised, ['n004']);
    assert.deepEqual(c.stats, { count: 1, median: 4, p95: 4, max: 4 });
  });

  it('targeted runbooks: a compromised host an end_host left in service is a false negative; a clean host rebuilt is an unneeded rebuild', () => {
    const more = [
      ...events.filter((e) => e.type !== 'run.finished'),
      ev(9, {
        type: 'host.ended',
        host: 'n002',
        phase: 'collect',
        step: 'leave in service',
        index: 5,
        reason: 'not contained',
        evidence: [],
        findings: 0,
        highest: null,
      }),
      ev(9, {
        type: 'host.ended',
        host: 'n003',
        phase: 'collect',
        step: 'leave in service',
        index: 5,
        reason: 'not contained',
        evidence: [],
        findings: 0,
        highest: null,
      }),
      ...step('n004', 'rebuild', 3, 'rebuild', 10, 19, 'changed'),
    ];
    const c = scoreContainment(roles, more);
    assert.deepEqual(c.uncontained, ['n002']);
    assert.deepEqual(c.leftInService, ['n002'], 'only compromised hosts count, n003 was clean');
    assert.deepEqual(scoreRecovery(roles, more).rebuiltNotCompromised, ['n004']);
    assert.deepEqual(scoreRecovery(roles, events).rebuiltNotCompromised, []);
  });

  it('time stats: median of the middle two, p95 by nearest rank, max', () => {
    assert.deepEqual(timeStats([3, 1, 2]), { count: 3, median: 2, p95: 3, max: 3 });
    assert.deepEqual(timeStats([4, 1, 3, 2]), { count: 4, median: 2.5, p95: 4, max: 4 });
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    assert.deepEqual(timeStats(twenty), { count: 20, median: 10.5, p95: 19, max: 20 });
    assert.deepEqual(timeStats([]), { count: 0, median: null, p95: null, max: null });
  });

  it('recovery: rebuild and restore times; a host whose rebuild did not end ok is left broken', () => {
    const r = scoreRecovery(roles, events);
    assert.deepEqual(r.rebuilt, [{ host: 'n001', seconds: 20 }]);
    assert.deepEqual(r.restored, [{ host: 'n001', seconds: 30 }]);
    assert.deepEqual(r.leftBroken, ['n005']);
    assert.equal(r.restoreStats.p95, 30);
  });

  it("attack traffic: only packets seen in windows that start after the host's isolation count", () => {
    const samples = [
      sample('n001', 2, 7),
      sample('n001', 4.5, 0),
      sample('n004', 3.5, 2),
      sample('n002', 6, 9, 'hypothesis'),
    ];
    const t = scoreAttackTraffic(events, samples);
    assert.equal(t.afterIsolation, 2, 'n001 before its isolation and n002 (never isolated) do not count');
    assert.equal(t.samples.length, 4);
  });
});

describe('drill scoring: resilience', () => {
  const entry = (over: Partial<FaultLogEntry>): FaultLogEntry => ({
    index: 0,
    kind: 'down',
    host: 'n003',
    when: 'before',
    status: 'injected',
    injectedAt: at(-1),
    ...over,
  });

  it('a host whose sshd was down is counted unreachable, and the fault handled', () => {
    const r = scoreFault(entry({}), events);
    assert.equal(r.outcome, 'unreachable');
    assert.equal(r.handled, true);
    assert.equal(r.stoppedRun, false);
    assert.match(r.detail, /unreachable in isolate \(refused\); host ended unreachable/);
  });

  it('a retry that ends in failure is a failure; a retry followed by success is a recovery', () => {
    assert.equal(scoreFault(entry({ host: 'n002', kind: 'flaky', injectedAt: at(0.5) }), events).outcome, 'failed');
    const recovered = [
      ev(0, {
        type: 'run.started',
        runId: 'r',
        runbook: 'rb',
        runDir: '/r',
        hosts: ['a'],
        phases: ['collect'],
        forks: 1,
      }),
      ev(1, { type: 'step.started', host: 'a', phase: 'collect', step: 's', index: 1, commands: [] }),
      ev(2, {
        type: 'step.retrying',
        host: 'a',
        phase: 'collect',
        step: 's',
        attempt: 1,
        of: 3,
        delayMs: 10,
        message: 'lost',
      }),
      ev(3, {
        type: 'step.finished',
        host: 'a',
        phase: 'collect',
        step: 's',
        index: 1,
        outcome: { status: 'ok', durationMs: 2000, attempts: 2 },
      }),
      ev(4, { type: 'run.finished', exitCode: 0, durationMs: 4000, recap: recap({ a: 'ok' }) }),
    ];
    const r = scoreFault(entry({ host: 'a', kind: 'kill-sshd-mid-step', injectedAt: at(1.2) }), recovered);
    assert.equal(r.outcome, 'retried-and-recovered');
    assert.match(r.detail, /1 retry, 1 recovered/);
  });

  it('a step that hit its timeout is timed-out; a host much slower than the others is slowed', () => {
    const run = [
      ev(0, {
        type: 'run.started',
        runId: 'r',
        runbook: 'rb',
        runDir: '/r',
        hosts: ['a', 'b', 'c'],
        phases: ['collect'],
        forks: 3,
      }),
      ...step('a', 'collect', 1, 'collect', 1, 31, 'failed', { timedOut: true }),
      ...step('b', 'collect', 1, 'collect', 1, 41),
      ...step('c', 'collect', 1, 'collect', 1, 3),
      ev(41, {
        type: 'run.finished',
        exitCode: 3,
        durationMs: 41_000,
        recap: recap({ a: 'failed', b: 'ok', c: 'ok' }),
      }),
    ];
    const [hang, loss] = scoreResilience(
      [entry({ host: 'a', kind: 'hang-command', value: 'ss' }), entry({ host: 'b', kind: 'flaky', value: '30%' })],
      run,
    );
    assert.equal(hang?.outcome, 'timed-out');
    assert.equal(loss?.outcome, 'slowed');
    assert.match(loss?.detail ?? '', /took 40\.0 s after the fault \(2\.0 s on hosts without faults\)/);
  });

  it('a step still running when the drill stopped the run at its deadline stalled; the fault is not handled', () => {
    const run = [
      ev(0, {
        type: 'run.started',
        runId: 'r',
        runbook: 'rb',
        runDir: '/r',
        hosts: ['a', 'b'],
        phases: ['collect'],
        forks: 2,
      }),
      ...step('b', 'collect', 1, 'collect', 1, 3),
      ev(60, { type: 'run.aborted', reason: "the run took longer than the drill's timeout (60 s)" }),
      ...step('a', 'collect', 1, 'collect', 1, 61, 'failed', { message: 'aborted before the step finished' }),
      ev(61, { type: 'run.finished', exitCode: 4, durationMs: 61_000, recap: recap({ a: 'failed', b: 'ok' }) }),
    ];
    const r = scoreFault(
      entry({ host: 'a', kind: 'hang-command', value: 'ss' }),
      run,
      "the run took longer than the drill's timeout (60 s)",
    );
    assert.equal(r.outcome, 'stalled');
    assert.equal(r.handled, false);
    assert.match(r.detail, /"collect step" was still running after 60 s/);
    assert.equal(
      scoreFault(entry({ host: 'a', kind: 'hang-command' }), run).outcome,
      'failed',
      'without the drill stopping it, the run failed the step itself',
    );
  });

  it('a host whose failure took the run past max_fail_percentage stopped the run', () => {
    const run = [
      ...events.slice(0, -1),
      ev(2, {
        type: 'run.aborted',
        reason: 'max_fail_percentage 0% exceeded in phase isolate (batch 1): 1 of 5 hosts failed',
      }),
      events.at(-1) as RunEvent,
    ];
    const r = scoreFault(entry({}), run);
    assert.equal(r.stoppedRun, true);
    assert.match(r.detail, /stopped the run \(max_fail_percentage\)/);
  });

  it('not injected: not applicable; run did not finish or the drill stopped it: not handled', () => {
    assert.deepEqual(
      (({ outcome, handled }) => ({ outcome, handled }))(
        scoreFault(entry({ kind: 'slow', status: 'not-injectable', message: 'no netem' }), events),
      ),
      { outcome: 'not-applicable', handled: null },
    );
    assert.equal(scoreFault(entry({}), events.slice(0, -1)).handled, false);
    const stopped = scoreFault(entry({}), events, "the run took longer than the drill's timeout (60 s)");
    assert.equal(stopped.handled, false);
    assert.match(stopped.detail, /the drill stopped the run/);
  });

  it('a fault injected after the host had finished did not touch the run', () => {
    assert.equal(scoreFault(entry({ host: 'n004', injectedAt: at(29) }), events).outcome, 'not-exercised');
  });
});

describe('drill scoring: verdict and insights', () => {
  const thresholds = (over: Partial<Thresholds> = {}): Thresholds => ({
    max_attack_traffic: 0,
    max_unhandled_faults: 0,
    hypothesis: true,
    ...over,
  });
  const faults: FaultLogEntry[] = [
    { index: 0, kind: 'down', host: 'n003', when: 'before', status: 'injected', injectedAt: at(-1) },
    {
      index: 1,
      kind: 'slow',
      host: 'n004',
      when: 'before',
      value: '300ms',
      status: 'not-injectable',
      message: 'lab fault slow needs tc netem',
    },
  ];
  const probes = {
    before: [
      {
        probe: 'ssh-serves' as const,
        at: 'before' as const,
        required: true,
        ok: true,
        hosts: [{ host: 'n003', ok: true, detail: 'sshd listens on port 22' }],
      },
    ],
    after: [
      {
        probe: 'no-attack-traffic' as const,
        at: 'after' as const,
        required: true,
        ok: false,
        hosts: [{ host: 'n002', ok: false, detail: '9 TCP/22 packet(s) left' }],
      },
    ],
  };
  const base = { roles, planted, events, egress: [sample('n004', 3.5, 0)], faults, hypothesis: probes };

  it('checks every threshold set, and fails on a required probe that failed after the run', () => {
    const s = scoreDrill({
      ...base,
      thresholds: thresholds({
        min_coverage: 0.8,
        min_scenario_coverage: 0.8,
        max_false_positives: 0,
        max_containment_p95: 5,
        max_uncontained: 0,
        max_left_broken: 0,
      }),
    });
    const byName = Object.fromEntries(s.verdict.checks.map((c) => [c.name, [c.actual, c.ok]]));
    assert.deepEqual(byName, {
      min_coverage: [0.8, true],
      min_scenario_coverage: [0.75, false],
      max_false_positives: [1, false],
      max_containment_p95: [4, true],
      max_uncontained: [1, false],
      max_attack_traffic: [0, true],
      max_left_broken: [1, false],
      max_unhandled_faults: [0, true],
      hypothesis: [false, false],
    });
    assert.equal(s.verdict.result, 'fail');
    assert.ok(s.verdict.reasons.includes('max_false_positives: 1 > 0'));
    assert.ok(s.verdict.reasons.includes('min_scenario_coverage: 0.75 < 0.8'));
  });

  it('passes when every threshold holds; an interrupted drill is aborted whatever it measured', () => {
    const ok = { ...base, hypothesis: { before: probes.before, after: [] } };
    assert.equal(scoreDrill({ ...ok, thresholds: thresholds({ min_coverage: 0.8 }) }).verdict.result, 'pass');
    assert.equal(scoreDrill({ ...ok, thresholds: thresholds({ min_coverage: 0.81 }) }).verdict.result, 'fail');
    const aborted = scoreDrill({ ...ok, thresholds: thresholds(), aborted: 'interrupted by SIGINT' });
    assert.equal(aborted.verdict.result, 'aborted');
    assert.equal(aborted.verdict.reasons[0], 'aborted: interrupted by SIGINT');
    assert.equal(aborted.resilience[0]?.handled, false, 'the run did not get to deal with the fault');
  });

  it('a steady state that did not hold before the run fails the drill', () => {
    const before = [
      { ...probes.before[0]!, ok: false, hosts: [{ host: 'n003', ok: false, detail: 'nothing listens on port 22' }] },
    ];
    const v = judge(scoreDrill({ ...base, hypothesis: { before, after: [] }, thresholds: thresholds() }), thresholds());
    assert.equal(v.result, 'fail');
    assert.match(v.reasons[0] ?? '', /steady state did not hold before the run: ssh-serves failed on n003/);
  });

  it('containment and recovery maxima fail when compromised hosts exist and none were contained', () => {
    const none = scoreDrill({
      ...base,
      events: events.filter((e) => !('stepType' in e && e.stepType === 'isolate')),
      thresholds: thresholds({ max_containment_p95: 60, max_recovery_p95: 60 }),
    });
    const check = (n: string) => none.verdict.checks.find((c) => c.name === n);
    assert.deepEqual([check('max_containment_p95')?.actual, check('max_containment_p95')?.ok], [null, false]);
  });

  it('derives strengths, areas to improve and notes from the scores', () => {
    const s = scoreDrill({
      ...base,
      thresholds: thresholds(),
      notes: ['Fault 3 (down) asked for 2 host(s) among compromised; only 1 exist.'],
    });
    assert.ok(s.strengths.includes('Found every planted indicator of disk-full (1/1).'));
    assert.ok(s.strengths.some((l) => /Carried on past 1 faulty host\(s\) counted as unreachable: n003/.test(l)));
    assert.ok(s.improvements.some((l) => /Missed backdoor-user on n001: no account\.sudo finding/.test(l)));
    assert.ok(
      s.improvements.some((l) => /1 finding\(s\) of medium severity or worse on clean hosts \(account\.sudo\)/.test(l)),
    );
    assert.ok(s.improvements.includes('Compromised host(s) never isolated: n002.'));
    assert.ok(s.improvements.includes('Isolated host(s) that were not compromised: n004.'));
    assert.ok(s.improvements.includes('Recovery started and did not finish on n005.'));
    assert.ok(s.improvements.includes('After the run, no-attack-traffic failed on n002.'));
    assert.ok(s.notes[0]?.startsWith('Fault 3 (down)'));
    assert.ok(
      s.notes.some((l) => /1 planted indicator\(s\) name no finding kind and are not scored: history-root/.test(l)),
    );
    assert.ok(
      s.notes.some((l) => /Fault slow on n004 \(before\) not-injectable: lab fault slow needs tc netem/.test(l)),
    );
    assert.deepEqual(
      insights({ ...s, hypothesis: { before: [], after: [] } }).strengths.filter((l) => /steady state/.test(l)),
      [],
    );
  });
  it('a host the run never collected gets one line, not one per kind; a stopped run says its scores are partial', () => {
    const kinds = ['process.suspicious', 'persistence.cron', 'account.sudo', 'ssh.authorized_key', 'login.active'];
    const many = kinds.map((finding, i) => ({
      host: 'n002',
      scenario: 'o',
      id: `i${i}`,
      description: 'd',
      finding,
      verified: true,
    }));
    const s = scoreDrill({
      ...base,
      planted: many,
      events: events.filter((e) => e.type !== 'finding'),
      thresholds: thresholds(),
      stoppedByDrill: "the run took longer than the drill's timeout (60 s)",
    });
    assert.deepEqual(
      s.improvements.filter((l) => l.startsWith('Missed')),
      [
        `Missed 5 indicators on n002: no ${kinds.join(', ')} findings — collect the evidence that reveals them and parse it.`,
      ],
    );
    assert.match(
      s.notes[0] ?? '',
      /^The run was stopped before it finished \(the run took longer than the drill's timeout \(60 s\)\)/,
    );
    assert.equal(s.verdict.result, 'fail');
    assert.match(s.verdict.reasons.join('\n'), /the drill stopped the run/);
  });
});

describe('drill scorecard: text and comparison', () => {
  function card(over: Partial<Scorecard> = {}, thresholds: Partial<Thresholds> = {}): Scorecard {
    const scores = scoreDrill({
      roles,
      planted,
      events,
      egress: [],
      faults: [],
      hypothesis: { before: [], after: [] },
      thresholds: { max_attack_traffic: 0, max_unhandled_faults: 0, hypothesis: true, ...thresholds },
    });
    return {
      version: 1,
      drill: {
        name: 'd',
        source: 'd.yaml',
        seed: 7,
        runbook: 'rb.yaml',
        params: {},
        hosts: 5,
        scenarios: { 'outbound-ssh-bruteforce': 2, clean: 1, 'disk-full': 1 },
        compromisedScenarios: ['outbound-ssh-bruteforce'],
      },
      startedAt: at(-5),
      finishedAt: at(40),
      durationSeconds: 45,
      lab: { id: 'abcd', dir: '/lab', cidr: '198.18.0.0/20', bridge: 'fblab0', kept: false },
      run: { runId: 'r1', runDir: '/runs/r1', exitCode: 3, startedAt: at(0), durationSeconds: 31 },
      hosts: roles,
      ...scores,
      ...over,
    };
  }

  it('prints the verdict first, then each score', () => {
    const text = formatScorecard(card({}, { min_coverage: 0.9 }));
    assert.match(text, /^drill d \(seed 7\): FAIL\n/);
    assert.match(
      text,
      /detection {2}4\/5 \(80%\) indicators found; disk-full 1\/1 \(100%\), outbound-ssh-bruteforce 3\/4 \(75%\)/,
    );
    assert.match(text, /missed: n001\/backdoor-user \(account\.sudo\)/);
    assert.match(text, /1\/2 compromised host\(s\) isolated: median 4 s, p95 4 s, max 4 s; never: n002/);
    assert.match(text, /✖ min_coverage 0\.9 \(measured 0\.8\)/);
  });

  it('compares two scorecards metric by metric', () => {
    const a = card();
    const better = scoreDetection(
      planted.map((p) => ({
        ...p,
        finding: p.finding ? 'process.suspicious' : undefined,
        host: p.host === 'n005' ? 'n001' : p.host,
      })),
      events,
    );
    const b = card({ detection: better, falsePositives: { ...a.falsePositives, count: 3 } });
    const rows = Object.fromEntries(compareScorecards(a, b).map((r) => [r.metric, r]));
    assert.deepEqual(
      [rows.coverage?.a, rows.coverage?.b, rows.coverage?.change],
      ['4/5 (80%)', '5/5 (100%)', 'better'],
    );
    assert.deepEqual(
      [rows['false positives']?.a, rows['false positives']?.b, rows['false positives']?.change],
      ['1', '3', 'worse'],
    );
    assert.equal(rows['containment p95']?.change, 'same');
  });

  it('compares isolate-everything with targeted: clean hosts isolated, rebuilds without need, restores of compromised hosts only', () => {
    const a = card();
    const all = {
      ...a,
      containment: { ...a.containment, isolatedNotCompromised: ['n003', 'n004', 'n005'], leftInService: [] },
      recovery: {
        ...a.recovery,
        restored: ['n001', 'n003', 'n004'].map((host) => ({ host, seconds: 30 })),
        rebuiltNotCompromised: ['n003', 'n004'],
      },
    };
    const targeted = {
      ...a,
      containment: { ...a.containment, isolatedNotCompromised: [], leftInService: ['n002'] },
      recovery: { ...a.recovery, restored: [{ host: 'n001', seconds: 30 }], rebuiltNotCompromised: [] },
    };
    const rows = Object.fromEntries(compareScorecards(all, targeted).map((r) => [r.metric, r]));
    const row = (m: string) => [rows[m]?.a, rows[m]?.b, rows[m]?.change];
    assert.deepEqual(row('clean hosts isolated'), ['3', '0', 'better']);
    assert.deepEqual(row('rebuilt without need'), ['2', '0', 'better']);
    assert.deepEqual(row('compromised hosts restored'), ['1', '1', 'same'], 'restoring clean hosts counts for nothing');
    assert.deepEqual(row('left in service (false negatives)'), ['0', '1', 'worse']);
    // A scorecard of a firebreak before end_host has none of these fields: not compared.
    const old = { ...a, containment: { ...a.containment, leftInService: undefined } };
    assert.deepEqual(
      [
        rows['left in service (false negatives)'] &&
          compareScorecards(old, targeted).find((r) => r.metric.startsWith('left in'))?.a,
      ],
      ['-'],
    );
  });
});
