/**
 * Synthetic run directories for the report tests: journals written from typed RunEvents (so they stay
 * in step with the event union), for what a recorded lab run cannot show yet or cheaply — every action
 * step type, rollbacks, aborts, hostile strings, 500 hosts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Finding, HostRecap, PhaseName, RunEvent, StepOutcome, StoredArtifact } from '../../src/core/index.js';

type EventInput = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'at'> : never) : never;

export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

export interface StepSpec {
  host: string;
  phase: PhaseName;
  step: string;
  index: number;
  type: string;
  /** Milliseconds after T0. */
  start: number;
  end: number;
  status?: StepOutcome['status'];
  commands?: string[];
  outcome?: Partial<StepOutcome>;
  artifacts?: StoredArtifact[];
  findings?: Omit<Finding, 'host'>[];
  hostKey?: { old: string | null; new: string };
  retries?: number;
}

export class SyntheticRun {
  readonly events: RunEvent[] = [];
  private seq = 0;

  iso(ms: number): string {
    return new Date(T0 + ms).toISOString();
  }

  push(ms: number, e: EventInput): this {
    this.events.push({ ...e, at: this.iso(ms) } as RunEvent);
    return this;
  }

  artifact(label: string, source: string, size = 100): StoredArtifact {
    this.seq++;
    const sha = this.seq.toString(16).padStart(64, 'a');
    return {
      id: `ev-${String(this.seq).padStart(6, '0')}`,
      label,
      source: { kind: source.startsWith('/') ? 'file' : 'command', value: source },
      size,
      sha256: sha,
      sha256AtSource: sha,
      match: true,
      rc: 0,
    };
  }

  step(s: StepSpec): this {
    const { host, phase, step, index } = s;
    this.push(s.start, {
      type: 'step.started',
      host,
      phase,
      step,
      index,
      commands: s.commands ?? [`${s.type} ${step}`],
      stepType: s.type,
    });
    for (let i = 1; i <= (s.retries ?? 0); i++)
      this.push(s.start + i, {
        type: 'step.retrying',
        host,
        phase,
        step,
        attempt: i,
        of: (s.retries ?? 0) + 1,
        delayMs: 1,
        message: `${host}: attempt ${i} failed`,
      });
    for (const artifact of s.artifacts ?? [])
      this.push(s.end - 1, { type: 'evidence.stored', host, phase, step, artifact });
    for (const f of s.findings ?? [])
      this.push(s.end - 1, { type: 'finding', host, phase, step, finding: { ...f, host, step } });
    if (s.hostKey)
      this.push(s.end - 1, {
        type: 'hostkey.replaced',
        host,
        phase,
        step,
        oldFingerprint: s.hostKey.old,
        newFingerprint: s.hostKey.new,
      });
    const outcome: StepOutcome = {
      status: s.status ?? 'ok',
      rc: 0,
      durationMs: s.end - s.start,
      attempts: (s.retries ?? 0) + 1,
      ...s.outcome,
    };
    return this.push(s.end, { type: 'step.finished', host, phase, step, index, outcome });
  }

  /** Write `journal.jsonl` (and `summary.json` when the run finished) into a fresh temp run directory. */
  write(extra: Record<string, string> = {}): { dir: string; cleanup: () => void } {
    const root = mkdtempSync(path.join(os.tmpdir(), 'fb-report-synth-'));
    const dir = path.join(root, 'run');
    mkdirSync(path.join(dir, 'hosts'), { recursive: true });
    writeFileSync(path.join(dir, 'journal.jsonl'), this.events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const started = this.events.find((e) => e.type === 'run.started');
    const finished = this.events.find((e) => e.type === 'run.finished');
    if (started?.type === 'run.started' && finished?.type === 'run.finished') {
      const counts = (state: HostRecap['state']) => finished.recap.filter((r) => r.state === state).length;
      const summary = {
        runId: started.runId,
        runbook: started.runbook,
        runDir: dir,
        startedAt: started.at,
        finishedAt: finished.at,
        durationMs: finished.durationMs,
        exitCode: finished.exitCode,
        counts: {
          hosts: finished.recap.length,
          ok: counts('ok'),
          failed: counts('failed'),
          unreachable: counts('unreachable'),
          aborted: counts('aborted'),
        },
        recap: finished.recap,
      };
      writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    }
    for (const [name, text] of Object.entries(extra)) writeFileSync(path.join(dir, name), text);
    return { dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
  }
}

export function recap(host: string, state: HostRecap['state'], counts: Partial<HostRecap> = {}): HostRecap {
  return {
    host,
    state,
    ok: 0,
    changed: 0,
    failed: 0,
    skipped: 0,
    ignored: 0,
    unreachable: state === 'unreachable',
    ...counts,
  };
}

/**
 * A full response on four hosts: a1 and a2 isolated, collected, rebuilt and restored (with user locks,
 * a killed process, hardening, an unknown step type, an unisolate); a3's isolation rolled itself back
 * and failed; a4 unreachable.
 */
export function responseRun(): SyntheticRun {
  const r = new SyntheticRun();
  const hosts = ['a1', 'a2', 'a3', 'a4'];
  r.push(0, {
    type: 'run.started',
    runId: 'synthetic-response',
    runbook: 'outbound-ssh-attack',
    runDir: '/x',
    hosts,
    phases: ['isolate', 'collect', 'rebuild', 'restore'],
    forks: 10,
  });
  r.push(0, { type: 'phase.started', phase: 'isolate', batch: 1, batches: 1, hosts });
  for (const h of hosts) r.push(1, { type: 'host.started', host: h, phase: 'isolate' });
  const rules = [
    'iptables -I INPUT -s 198.18.0.1 -p tcp --dport 22 -j ACCEPT',
    'iptables -P INPUT DROP',
    'iptables -P OUTPUT DROP',
  ];
  r.step({
    host: 'a1',
    phase: 'isolate',
    step: 'cut the network',
    index: 1,
    type: 'isolate',
    start: 10,
    end: 1000,
    status: 'changed',
    commands: rules,
    outcome: { stdout: 'isolated: 3 rules applied\nmanagement channel 198.18.0.1:22 kept\n' },
  });
  r.step({
    host: 'a2',
    phase: 'isolate',
    step: 'cut the network',
    index: 1,
    type: 'isolate',
    start: 10,
    end: 2000,
    status: 'changed',
    commands: rules,
  });
  r.step({
    host: 'a3',
    phase: 'isolate',
    step: 'cut the network',
    index: 1,
    type: 'isolate',
    start: 10,
    end: 4000,
    status: 'failed',
    commands: rules,
    outcome: {
      rc: 1,
      message: 'a3: the fresh SSH connection failed; the host rolled back its rules (dead-man timer)',
      stderr: 'connecting...\nssh: connect to host a3 port 22: Connection timed out\n',
    },
  });
  r.push(4001, {
    type: 'host.failed',
    host: 'a3',
    phase: 'isolate',
    step: 'cut the network',
    message: 'a3: the fresh SSH connection failed; the host rolled back its rules (dead-man timer)',
  });
  r.push(20, {
    type: 'step.started',
    host: 'a4',
    phase: 'isolate',
    step: 'cut the network',
    index: 1,
    commands: rules,
    stepType: 'isolate',
  });
  r.push(30, {
    type: 'step.finished',
    host: 'a4',
    phase: 'isolate',
    step: 'cut the network',
    index: 1,
    outcome: { status: 'failed', durationMs: 10, message: 'a4: connection refused' },
  });
  r.push(31, {
    type: 'host.unreachable',
    host: 'a4',
    phase: 'isolate',
    step: 'cut the network',
    reason: 'refused',
    message: 'a4: connection refused by 10.0.0.4:22',
  });
  r.push(32, { type: 'host.finished', host: 'a4', phase: 'isolate', state: 'unreachable' });
  r.push(1001, { type: 'host.finished', host: 'a1', phase: 'isolate', state: 'ok' });
  r.push(2001, { type: 'host.finished', host: 'a2', phase: 'isolate', state: 'ok' });
  r.push(4002, { type: 'host.finished', host: 'a3', phase: 'isolate', state: 'failed' });
  r.push(4003, {
    type: 'phase.finished',
    phase: 'isolate',
    batch: 1,
    batches: 1,
    ok: ['a1', 'a2'],
    failed: ['a3', 'a4'],
  });

  r.push(4010, { type: 'phase.started', phase: 'collect', batch: 1, batches: 1, hosts: ['a1', 'a2'] });
  const ps1 = r.artifact('processes/ps', 'ps auxwwwf', 2048);
  r.step({
    host: 'a1',
    phase: 'collect',
    step: 'evidence',
    index: 2,
    type: 'collect',
    start: 4020,
    end: 6000,
    artifacts: [ps1],
    findings: [
      {
        kind: 'network.outbound_ssh',
        severity: 'high',
        summary: '14 outbound connections to port 22',
        detail: { count: 14 },
        evidence: ps1.sha256,
      },
    ],
    retries: 1,
  });
  r.step({
    host: 'a1',
    phase: 'collect',
    step: 'lock backdoor user',
    index: 3,
    type: 'lock_user',
    start: 6000,
    end: 6500,
    status: 'changed',
    commands: ['passwd -l sysupdate', 'chage -E 0 sysupdate'],
    outcome: { stdout: 'locked sysupdate; killed 2 sessions\n' },
  });
  const bin = r.artifact('kill_process/exe-4242', '/proc/4242/exe', 1_234_567);
  r.step({
    host: 'a1',
    phase: 'collect',
    step: 'kill the dropper',
    index: 4,
    type: 'kill_process',
    start: 6500,
    end: 7000,
    status: 'changed',
    artifacts: [bin],
    outcome: { stdout: 'PID 4242 stopped, binary preserved, killed\n' },
  });
  r.step({
    host: 'a1',
    phase: 'collect',
    step: 'quarantine files',
    index: 5,
    type: 'quarantine_file',
    start: 7000,
    end: 7100,
    status: 'changed',
  });
  const ps2 = r.artifact('processes/ps', 'ps auxwwwf', 1024);
  r.step({
    host: 'a2',
    phase: 'collect',
    step: 'evidence',
    index: 2,
    type: 'collect',
    start: 4020,
    end: 9000,
    artifacts: [ps2],
    findings: [
      { kind: 'login.active', severity: 'low', summary: 'alice on pts/0', detail: {} },
      {
        kind: 'network.outbound_ssh',
        severity: 'high',
        summary: '3 outbound connections to port 22',
        detail: { count: 3 },
        evidence: ps2.sha256,
      },
    ],
  });
  r.push(9001, { type: 'phase.finished', phase: 'collect', batch: 1, batches: 1, ok: ['a1', 'a2'], failed: [] });

  r.push(9010, { type: 'phase.started', phase: 'rebuild', batch: 1, batches: 1, hosts: ['a1', 'a2'] });
  r.step({
    host: 'a1',
    phase: 'rebuild',
    step: 'reimage',
    index: 6,
    type: 'rebuild',
    start: 9020,
    end: 10000,
    status: 'changed',
    hostKey: { old: 'SHA256:old1', new: 'SHA256:new1' },
  });
  r.step({
    host: 'a2',
    phase: 'rebuild',
    step: 'reimage',
    index: 6,
    type: 'rebuild',
    start: 9020,
    end: 12000,
    status: 'changed',
    hostKey: { old: 'SHA256:old2', new: 'SHA256:new2' },
  });
  r.push(12001, { type: 'phase.finished', phase: 'rebuild', batch: 1, batches: 1, ok: ['a1', 'a2'], failed: [] });

  r.push(12010, { type: 'phase.started', phase: 'restore', batch: 1, batches: 1, hosts: ['a1', 'a2'] });
  r.step({
    host: 'a1',
    phase: 'restore',
    step: 'restore data',
    index: 7,
    type: 'restore',
    start: 12020,
    end: 15000,
    status: 'changed',
  });
  r.step({
    host: 'a1',
    phase: 'restore',
    step: 'harden sshd',
    index: 8,
    type: 'harden',
    start: 15000,
    end: 16000,
    status: 'changed',
    commands: ['sed -i s/^#\\?PasswordAuthentication.*/PasswordAuthentication no/ /etc/ssh/sshd_config', 'sshd -t'],
  });
  r.step({
    host: 'a2',
    phase: 'restore',
    step: 'restore data',
    index: 7,
    type: 'restore',
    start: 12020,
    end: 19000,
    status: 'changed',
  });
  r.step({
    host: 'a2',
    phase: 'restore',
    step: 'reconnect',
    index: 9,
    type: 'unisolate',
    start: 19000,
    end: 20000,
    status: 'changed',
  });
  r.push(20001, { type: 'phase.finished', phase: 'restore', batch: 1, batches: 1, ok: ['a1', 'a2'], failed: [] });
  r.push(20010, {
    type: 'run.finished',
    exitCode: 3,
    durationMs: 20010,
    recap: [
      recap('a1', 'ok', { changed: 6, ok: 1 }),
      recap('a2', 'ok', { changed: 4, ok: 1 }),
      recap('a3', 'failed', { failed: 1 }),
      recap('a4', 'unreachable'),
    ],
  });
  return r;
}

/** Strings a compromised host could hand us (outputs, user and file names, finding summaries). */
export const HOSTILE = {
  script: '<script>window.__pwned=1;alert(1)</script>',
  img: '<img src=x onerror="window.__pwned=2">',
  pipe: 'a|b',
  ticks: '```\n`code` ```` fence',
  lines: 'line one\n| x | y |\n# heading\n- item\n---',
  md: '[link](javascript:alert(1)) **bold** _em_ ~~del~~ <b>raw</b> &amp;',
};

export const HOSTILE_TEXT = Object.values(HOSTILE).join(' ');

/** One host and one step carrying hostile strings everywhere a string goes. */
export function hostileRun(): SyntheticRun {
  const r = new SyntheticRun();
  const host = `web${HOSTILE.pipe}<i>01`;
  r.push(0, {
    type: 'run.started',
    runId: 'hostile',
    runbook: `rb ${HOSTILE.script}`,
    runDir: '/x',
    hosts: [host, 'ok1'],
    phases: ['isolate', 'collect'],
    forks: 2,
  });
  r.push(0, { type: 'phase.started', phase: 'collect', batch: 1, batches: 1, hosts: [host, 'ok1'] });
  const file = r.artifact(`files/${HOSTILE.script}`, `/tmp/${HOSTILE.img}|${HOSTILE.ticks}`, 10);
  r.step({
    host,
    phase: 'collect',
    step: `step ${HOSTILE.script} ${HOSTILE.pipe}`,
    index: 1,
    type: 'collect',
    start: 10,
    end: 500,
    retries: 1,
    artifacts: [file],
    findings: [
      {
        kind: 'login.active',
        severity: 'high',
        summary: `user ${HOSTILE.img} ${HOSTILE.pipe} logged in: ${HOSTILE.lines}`,
        detail: { user: HOSTILE.script },
        evidence: file.sha256,
      },
    ],
  });
  r.step({
    host,
    phase: 'collect',
    step: `lock ${HOSTILE.md}`,
    index: 2,
    type: 'lock_user',
    start: 500,
    end: 600,
    status: 'changed',
    commands: [`passwd -l '${HOSTILE.script}'`, HOSTILE.ticks],
    outcome: { stdout: `${HOSTILE.img}\n${HOSTILE.lines}\n` },
  });
  r.step({
    host,
    phase: 'collect',
    step: 'fails',
    index: 3,
    type: HOSTILE.script,
    start: 600,
    end: 700,
    status: 'failed',
    outcome: {
      rc: 2,
      message: `${host}: ${HOSTILE.script} failed`,
      stderr: `error: ${HOSTILE.img}\nfatal: ${HOSTILE.ticks}\n${HOSTILE.lines}\n`,
    },
  });
  r.push(701, { type: 'host.failed', host, phase: 'collect', step: 'fails', message: `${host}: ${HOSTILE.md}` });
  r.push(702, {
    type: 'host.unreachable',
    host: 'ok1',
    phase: 'collect',
    reason: 'refused',
    message: `ok1: ${HOSTILE.img}`,
  });
  r.push(800, { type: 'phase.finished', phase: 'collect', batch: 1, batches: 1, ok: [], failed: [host, 'ok1'] });
  r.push(900, { type: 'run.aborted', reason: `aborted by ${HOSTILE.script}` });
  r.push(1000, {
    type: 'run.finished',
    exitCode: 4,
    durationMs: 1000,
    recap: [recap(host, 'failed', { message: HOSTILE.lines }), recap('ok1', 'unreachable')],
  });
  return r;
}

/** Notes and incident.json with hostile strings, for the same run. */
export function hostileFiles(): Record<string, string> {
  const q = (s: string) => JSON.stringify(s);
  const notes = [
    `title: ${q(`Title ${HOSTILE.script}`)}`,
    `status: ${q(HOSTILE.pipe)}`,
    `responders: [${q(HOSTILE.img)}]`,
    `summary: ${q(HOSTILE.lines)}`,
    `went_well: [${q(HOSTILE.md)}]`,
    `went_wrong: [${q(HOSTILE.ticks)}]`,
    `lucky: [${q(HOSTILE.script)}]`,
    `action_items: [{what: ${q(HOSTILE.lines)}, owner: ${q(HOSTILE.img)}, ticket: ${q(HOSTILE.pipe)}}]`,
  ].join('\n');
  return { 'notes.yaml': notes + '\n' };
}
