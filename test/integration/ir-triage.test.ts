/**
 * runbooks/triage.yaml on a lab holding every scenario: each planted indicator that a finding can
 * reveal is found on its host, and the clean host shows nothing of medium severity or worse.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding } from '../../src/core/index.js';
import { labUp, scenarioCoverage, type LabState } from '../../src/lab/index.js';
import { isRoot, labTempDir, onHost, removeLab } from '../helpers/lab.js';
import { onlyRunDir, readJournal, runCli } from './run-cli.js';

const SCENARIOS = [
  'outbound-ssh-bruteforce',
  'ssh-bruteforce-target',
  'conntrack-exhaustion',
  'tampered-binary',
  'disk-full',
  'clean',
];

describe('triage runbook on the drill lab', function () {
  this.timeout(180_000);
  let state: LabState | undefined;
  let dir = '';
  let findings: Finding[] = [];

  before(async function () {
    if (!isRoot) return this.skip();
    dir = labTempDir('triage');
    state = await labUp({ dir, hosts: SCENARIOS.length, scenarios: SCENARIOS.map((name) => ({ name, count: 1 })) });
    const runs = path.join(path.dirname(dir), 'runs');
    const r = await runCli(['run', 'runbooks/triage.yaml', '-i', state.files.inventory, '--runs-dir', runs], {
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    findings = readJournal(onlyRunDir(runs))
      .filter((e) => e.type === 'finding')
      .map((e) => e.finding as Finding);
  });

  after(async () => {
    await removeLab(state, dir);
  });

  for (const scenario of SCENARIOS.filter((s) => s !== 'clean')) {
    it(`finds every detectable indicator of ${scenario}`, () => {
      const host = state!.hosts.find((h) => h.scenarios.some((s) => s.scenario === scenario))!;
      const planted = host.scenarios[0]!;
      const cov = scenarioCoverage(
        planted,
        findings.filter((f) => f.host === host.name),
      );
      assert.ok(cov.detectable.length > 0, 'the scenario has indicators a finding can reveal');
      assert.deepEqual(
        cov.missed.map((i) => `${i.id} (${i.finding})`),
        [],
        `missed on ${host.name}`,
      );
    });
  }

  it('a hung evidence command costs its own timeout: recorded, the rest collected, the step fails clearly', async () => {
    const clean = state!.hosts.find((h) => h.scenarios.some((s) => s.scenario === 'clean'))!;
    const work = path.dirname(dir);
    const runbook = path.join(work, 'hang.yaml');
    writeFileSync(
      runbook,
      'name: hang\nphases:\n  collect:\n    - name: collect\n      collect: {sets: [], item_timeout: 2, commands: [{label: extra/hang, command: "sleep 300"}, {label: extra/after, command: "echo still here"}]}\n',
    );
    const runs = path.join(work, 'runs-hang');
    const started = Date.now();
    const r = await runCli(['run', runbook, '-i', state!.files.inventory, '--limit', clean.name, '--runs-dir', runs]);
    assert.ok(Date.now() - started < 30_000, 'bounded by the item timeout, not the step timeout');
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /evidence problems: extra\/hang: timed out after \d+ ms/);
    const stored = readJournal(onlyRunDir(runs))
      .filter((e) => e.type === 'evidence.stored')
      .map((e) => (e.artifact as { label: string }).label);
    assert.deepEqual(
      stored,
      ['extra/hang', 'extra/after'],
      'the hung item is kept (partial) and the next one still collected',
    );
  });

  it('a hidden file no package owns where cron or systemd start programs is high; dpkg-owned placeholders are not', async () => {
    // None in the triage of the whole lab (the machine's /etc/cron.*/.placeholder files are dpkg's).
    assert.deepEqual(
      findings.filter((f) => f.kind === 'persistence.hidden').map((f) => `${f.host} ${f.summary}`),
      [],
    );
    const host = state!.hosts.find((h) => h.scenarios.some((s) => s.scenario === 'tampered-binary'))!;
    await onHost(
      state!,
      host.name,
      "printf '* * * * * root /usr/local/bin/.u\\n' > /etc/cron.d/.update && mkdir -p /etc/systemd/system/.cache && printf '[Service]\\nExecStart=/tmp/x\\n' > /etc/systemd/system/.cache/net.service",
    );
    const work = path.dirname(dir);
    const runbook = path.join(work, 'hidden.yaml');
    writeFileSync(
      runbook,
      'name: hidden\nphases:\n  collect:\n    - name: collect\n      collect: {sets: [persistence]}\n',
    );
    const runs = path.join(work, 'runs-hidden');
    const r = await runCli(['run', runbook, '-i', state!.files.inventory, '--limit', host.name, '--runs-dir', runs]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const hidden = readJournal(onlyRunDir(runs))
      .filter((e) => e.type === 'finding')
      .map((e) => e.finding as Finding)
      .filter((f) => f.kind === 'persistence.hidden');
    assert.deepEqual(hidden.map((f) => [f.severity, f.detail.path, f.detail.dir]).sort(), [
      ['high', '/etc/cron.d/.update', '/etc/cron.d'],
      ['high', '/etc/systemd/system/.cache/net.service', '/etc/systemd'],
    ]);
  });

  it('shows nothing alarming on the clean host', () => {
    const clean = state!.hosts.find((h) => h.scenarios.some((s) => s.scenario === 'clean'))!;
    const alarming = findings.filter(
      (f) => f.host === clean.name && ['medium', 'high', 'critical'].includes(f.severity),
    );
    assert.deepEqual(
      alarming.map((f) => f.summary),
      [],
    );
    assert.ok(
      findings.some((f) => f.host === clean.name),
      'the clean host was analysed (info findings exist)',
    );
  });
});
