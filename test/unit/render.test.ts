import { strict as assert } from 'node:assert';
import type { HostState, PhaseName, RunEvent } from '../../src/core/index.js';
import {
  JsonRenderer,
  PlainRenderer,
  ProgressModel,
  TestRenderer,
  phaseLines,
  phaseTitle,
} from '../../src/render/index.js';
import { ListrProgressRenderer } from '../../src/render/listr.js';

const T0 = Date.UTC(2024, 0, 31, 10, 15, 0);
const at = (s = 0): string => new Date(T0 + s * 1000).toISOString();

/** A phase over `n` hosts: host i ends in states[i % states.length]. */
function fleetEvents(n: number, states: HostState[], phase: PhaseName = 'collect'): RunEvent[] {
  const hosts = Array.from({ length: n }, (_, i) => `web${String(i + 1).padStart(3, '0')}`);
  const ev: RunEvent[] = [
    {
      at: at(),
      type: 'run.started',
      runId: 'r',
      runbook: 'triage',
      runDir: '/runs/r',
      hosts,
      phases: [phase],
      forks: 100,
    },
    { at: at(), type: 'phase.started', phase, batch: 1, batches: 1, hosts },
  ];
  hosts.forEach((host, i) => {
    const state = states[i % states.length]!;
    if (state === 'pending') return;
    ev.push({ at: at(1), type: 'host.started', host, phase });
    ev.push({ at: at(1), type: 'step.started', host, phase, step: 'hostname', index: 1, commands: ['hostname'] });
    if (state === 'failed')
      ev.push({
        at: at(2),
        type: 'host.failed',
        host,
        phase,
        step: 'hostname',
        message: `${host}: \`hostname\` exited with code 1\n    more`,
      });
    if (state === 'unreachable')
      ev.push({
        at: at(2),
        type: 'host.unreachable',
        host,
        phase,
        reason: 'timeout',
        message: `${host}: connect timed out`,
      });
    if (state !== 'running') ev.push({ at: at(3), type: 'host.finished', host, phase, state });
  });
  return ev;
}

function model(events: RunEvent[]): ProgressModel {
  const m = new ProgressModel();
  for (const e of events) m.apply(e);
  return m;
}

describe('progress model', () => {
  it('shows a row per host (state, step, elapsed) up to 30 hosts', () => {
    const p = model(fleetEvents(3, ['ok', 'failed', 'running'])).phases.get('collect')!;
    assert.deepEqual(phaseLines(p, T0 + 10_000), [
      'web001  ok          hostname 2.0s',
      'web002  failed      web002: `hostname` exited with code 1 2.0s',
      'web003  running     hostname 9.0s',
    ]);
    assert.equal(phaseTitle(p), 'collect: 1 running, 1 ok, 1 failed');
  });

  it('collapses above 30 hosts to a bounded fleet view: slowest hosts, failures by reason, the rest counted', () => {
    const p = model(
      fleetEvents(500, [
        'ok',
        'ok',
        'running',
        'ok',
        'ok',
        'ok',
        'ok',
        'ok',
        'ok',
        'pending',
        'unreachable',
        'ok',
        'ok',
        'ok',
        'ok',
        'ok',
        'ok',
        'ok',
        'ok',
        'failed',
      ]),
    ).phases.get('collect')!;
    const lines = phaseLines(p, T0 + 5000);
    assert.deepEqual(lines, [
      'running "hostname": 25',
      'web003  running     hostname 4.0s',
      'web023  running     hostname 4.0s',
      'web043  running     hostname 4.0s',
      'web063  running     hostname 4.0s',
      'web083  running     hostname 4.0s',
      '✖ web[011,031,051,071,091,111,131,151,171,191,211,231,251,…] unreachable (25): connect timed out',
      '✖ web[020,040,060,080,100,120,140,160,180,200,220,240,260,…] failed (25): `hostname` exited with code 1',
      '… and 445 more: 400 ok, 20 running, 25 pending',
    ]);
    assert.equal(phaseLines(model(fleetEvents(30, ['ok'])).phases.get('collect')!, T0).length, 30);
    assert.deepEqual(phaseLines(model(fleetEvents(31, ['ok'])).phases.get('collect')!, T0), ['31 host(s): 31 ok']);
  });

  it('keeps a failed state when host.finished arrives, and marks batches', () => {
    const ev = fleetEvents(2, ['failed']);
    ev[1] = { ...(ev[1] as Extract<RunEvent, { type: 'phase.started' }>), batch: 1, batches: 2 };
    const p = model(ev).phases.get('collect')!;
    assert.equal(phaseTitle(p), 'collect (batch 1/2): 2 failed');
  });
});

describe('plain renderer', () => {
  it('writes one line per notable event, none for output', () => {
    const out: string[] = [];
    const r = new PlainRenderer({ write: (l) => out.push(l), timestamps: true });
    const events: RunEvent[] = [
      ...fleetEvents(2, ['ok']),
      {
        at: at(2),
        type: 'step.output',
        host: 'web001',
        phase: 'collect',
        step: 'hostname',
        stream: 'stdout',
        text: 'web001',
      },
      {
        at: at(2),
        type: 'step.finished',
        host: 'web001',
        phase: 'collect',
        step: 'hostname',
        index: 1,
        outcome: { status: 'ok', rc: 0, durationMs: 1234 },
      },
      {
        at: at(2),
        type: 'step.retrying',
        host: 'web002',
        phase: 'collect',
        step: 'hostname',
        attempt: 1,
        of: 3,
        delayMs: 5000,
        message: 'web002: `hostname` exited with code 1',
      },
      {
        at: at(3),
        type: 'step.finished',
        host: 'web002',
        phase: 'collect',
        step: 'hostname',
        index: 1,
        outcome: {
          status: 'failed',
          rc: 1,
          durationMs: 2000,
          attempts: 3,
          message: 'web002: `hostname` exited with code 1\n    detail',
        },
      },
      { at: at(3), type: 'phase.finished', phase: 'collect', batch: 1, batches: 1, ok: ['web001'], failed: ['web002'] },
      { at: at(4), type: 'run.finished', exitCode: 3, durationMs: 4000, recap: [] },
    ];
    for (const e of events) r.emit(e);
    assert.deepEqual(out, [
      '10:15:00 run r: triage on 2 host(s), forks 100, phases collect; run dir /runs/r\n',
      '10:15:00 == collect: 2 host(s) ==\n',
      '10:15:02 web001 | collect | hostname | OK 1.2s\n',
      '10:15:02 web002 | collect | hostname | retry 1/2 in 5.0s: web002: `hostname` exited with code 1\n',
      '10:15:03 web002 | collect | hostname | FAILED rc=1 2.0s after 3 attempts: web002: `hostname` exited with code 1\n',
      '10:15:03 == collect done: 1 ok, 1 failed (web002) ==\n',
      '10:15:04 run finished in 4.0s, exit code 3\n',
    ]);
  });
});

describe('json and test renderers', () => {
  it('NDJSON: one parseable event per line', () => {
    let text = '';
    const r = new JsonRenderer((t) => (text += t));
    const events = fleetEvents(2, ['ok']);
    for (const e of events) r.emit(e);
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, events.length);
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as RunEvent),
      events,
    );
  });

  it('test renderer: stable text without times', () => {
    const r = new TestRenderer((e) => e.type !== 'step.started');
    for (const e of fleetEvents(2, ['ok', 'unreachable'])) r.emit(e);
    assert.equal(
      r.text,
      [
        'run.started triage hosts=web001,web002 phases=collect',
        'phase.started collect 1/1 web001,web002',
        'host.started web001 collect',
        'host.finished web001 collect ok',
        'host.started web002 collect',
        'host.unreachable web002 collect timeout',
        'host.finished web002 collect unreachable',
      ].join('\n'),
    );
  });
});

describe('listr2 renderer', () => {
  it('drives one task per phase from events and finishes when the run does', async () => {
    const r = new ListrProgressRenderer({ renderer: 'silent', refreshMs: 5 });
    for (const e of fleetEvents(3, ['ok', 'failed', 'ok'])) r.emit(e);
    r.emit({
      at: at(4),
      type: 'phase.finished',
      phase: 'collect',
      batch: 1,
      batches: 1,
      ok: ['web001', 'web003'],
      failed: ['web002'],
    });
    r.emit({ at: at(4), type: 'run.finished', exitCode: 3, durationMs: 4000, recap: [] });
    const result = await Promise.race([
      r.done().then(() => 'done'),
      new Promise((res) => setTimeout(() => res('hung'), 2000)),
    ]);
    assert.equal(result, 'done');
    assert.equal(r.model.phases.get('collect')?.status, 'done');
  });

  it('skips phases that never ran when the run ends early', async () => {
    const r = new ListrProgressRenderer({ renderer: 'silent' });
    const ev = fleetEvents(1, ['ok']);
    r.emit({ ...(ev[0] as Extract<RunEvent, { type: 'run.started' }>), phases: ['collect', 'rebuild'] });
    r.emit({ at: at(1), type: 'run.aborted', reason: 'SIGINT' });
    r.emit({ at: at(1), type: 'run.finished', exitCode: 4, durationMs: 1, recap: [] });
    const result = await Promise.race([
      r.done().then(() => 'done'),
      new Promise((res) => setTimeout(() => res('hung'), 2000)),
    ]);
    assert.equal(result, 'done');
    assert.equal(r.model.aborted, 'SIGINT');
  });
});

describe('plain renderer: an unreachable host is said once', () => {
  it('prints the UNREACHABLE line, not also a FAILED line for the step it broke', () => {
    const lines: string[] = [];
    const r = new PlainRenderer({ write: (l) => lines.push(l), timestamps: false });
    const msg = 'n001: host key of 198.18.0.11 is not known';
    r.emit({
      at: at(),
      type: 'step.finished',
      host: 'n001',
      phase: 'collect',
      step: 'hostname',
      index: 1,
      outcome: { status: 'failed', durationMs: 5, message: msg, unreachable: true },
    });
    r.emit({
      at: at(),
      type: 'host.unreachable',
      host: 'n001',
      phase: 'collect',
      step: 'hostname',
      reason: 'hostkey-unknown',
      message: msg,
    });
    r.emit({
      at: at(),
      type: 'step.finished',
      host: 'n002',
      phase: 'collect',
      step: 'hostname',
      index: 1,
      outcome: { status: 'failed', durationMs: 5, rc: 1, message: 'n002: exit 1' },
    });
    assert.deepEqual(lines, [
      `n001 | collect | UNREACHABLE: ${msg}\n`,
      'n002 | collect | hostname | FAILED rc=1 0.0s: n002: exit 1\n',
    ]);
  });
});
