/**
 * Full drills on real lab hosts (needs root): a collect runbook on 3 hosts, compromised and clean, with
 * two faults (one sshd down, one lossy link) — detection checked against the lab's ground truth and the
 * findings the run journaled, the faults in the scorecard as handled, the hypothesis probes measured
 * inside the hosts, the lab gone afterwards; then a deliberately weakened runbook through the CLI,
 * which scores lower, fails its threshold (exit 7) and compares worse.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FindingKind, RunEvent } from '../../src/core/index.js';
import {
  assignScenarios,
  loadDrill,
  readScorecard,
  runDrill,
  type DrillHooks,
  type DrillResult,
  type Scorecard,
} from '../../src/drill/index.js';
import { readLabState, type LabState } from '../../src/lab/index.js';
import { isRoot, labLeftovers } from '../helpers/lab.js';
import { startCli } from './run-cli.js';

const SEED = 11;

function journal(runDir: string): RunEvent[] {
  return readFileSync(path.join(runDir, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunEvent);
}

function findingKinds(events: readonly RunEvent[], host: string): Set<FindingKind> {
  return new Set(events.flatMap((e) => (e.type === 'finding' && e.host === host ? [e.finding.kind] : [])));
}

/** What a lab left, from the scorecard alone (the lab's own state file is gone with it). */
function leftoversOf(sc: Scorecard): string[] {
  const index = Number(sc.lab.bridge.replace(/^fblab/, ''));
  return labLeftovers({ dir: sc.lab.dir, network: { index, bridge: sc.lab.bridge } } as LabState);
}

const collectRunbook = (name: string, collect: string): string =>
  `name: ${name}\nphases:\n  collect:\n    - name: collect evidence\n      collect: ${collect}\n      timeout: 2m\n`;

describe('drill (real lab hosts)', function () {
  this.timeout(240_000);
  let tmp: string;
  let full: DrillResult | undefined;
  let labAfterPlant: LabState | undefined;
  let labAtStart: LabState | undefined;

  before(async function () {
    if (!isRoot) {
      process.stderr.write('  drill: skipped, the lab needs root (namespaces, mounts, a bridge)\n');
      return this.skip();
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'fb-drill-'));
    writeFileSync(path.join(tmp, 'collect.yaml'), collectRunbook('drill-collect', 'true'));
    // Weakened: the network and users sets only, no process table and no crontabs, so the dropper and
    // its cron persistence go unseen. (Two sets, not all but two items: collecting is this drill's
    // cost, and what the test shows is a weaker runbook scoring lower.)
    writeFileSync(path.join(tmp, 'weak.yaml'), collectRunbook('drill-weak', '{sets: [network, users]}'));
    // One compromised host (the lossy one) and two clean ones (one down): the mix the faults and the
    // scoring need. Every host that is up collects, which is what this drill costs (a second
    // compromised host was a third collection).
    const drillYaml = [
      'name: it-full',
      `seed: ${SEED}`,
      'lab: {hosts: 3, scenarios: {outbound-ssh-bruteforce: 1, clean: 2}}',
      'runbook: collect.yaml',
      'timeout: 3m',
      'faults:',
      '  - {kind: down, among: clean, when: before}',
      '  - {kind: flaky, pct: 10, among: compromised, when: "phase:collect"}',
      'hypothesis:',
      '  ssh-serves: non-compromised',
      '  no-attack-traffic: {hosts: all, required: false, window: 3}',
      'thresholds: {min_coverage: 100%, max_unhandled_faults: 0}',
    ].join('\n');
    writeFileSync(path.join(tmp, 'full.yaml'), drillYaml);
    const labDir = path.join(tmp, 'lab');
    const hooks: Partial<DrillHooks> = {
      stage: async (title, fn) => {
        const value = await fn();
        if (title.startsWith('lab up')) labAtStart = readLabState(labDir);
        if (title.startsWith('plant')) labAfterPlant = readLabState(labDir);
        return value;
      },
    };
    full = await runDrill({
      drill: loadDrill(path.join(tmp, 'full.yaml')),
      labDir,
      runsDir: path.join(tmp, 'runs'),
      hooks,
    });
  });

  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('plants the seeded assignment and records it in the scorecard', () => {
    const sc = full!.scorecard;
    const expected = assignScenarios(loadDrill(path.join(tmp, 'full.yaml')).spec, SEED).roles;
    assert.deepEqual(sc.hosts, expected);
    const planted = Object.fromEntries(
      labAfterPlant!.hosts.map((h) => [h.name, h.scenarios.map((s) => s.scenario)[0] ?? null]),
    );
    assert.deepEqual(planted, Object.fromEntries(expected.map((r) => [r.host, r.scenario])));
  });

  it('detection: an indicator is found exactly when the run journaled a finding of its kind on its host', () => {
    const sc = full!.scorecard;
    const events = journal(sc.run!.runDir);
    const scored = sc.detection.indicators.filter((i) => i.scored);
    assert.ok(
      scored.length >= 9,
      `the outbound-ssh scenario plants at least 9 scorable indicators per host (got ${scored.length} in all)`,
    );
    for (const i of sc.detection.indicators)
      assert.equal(
        i.found,
        i.finding !== null && findingKinds(events, i.host).has(i.finding as FindingKind),
        `${i.host}/${i.id}`,
      );
    assert.ok(
      sc.detection.indicators.every((i) => i.verified === true),
      'every planted indicator held before the run',
    );
  });

  it('detection: collect with every artifact set finds every planted indicator that names a finding (the faults spared the compromised hosts)', () => {
    const d = full!.scorecard.detection;
    const missed = d.indicators.filter((i) => i.scored && !i.found).map((i) => `${i.host}/${i.id} (${i.finding})`);
    assert.deepEqual(missed, []);
    assert.equal(d.overall.ratio, 1);
    assert.equal(d.byScenario['outbound-ssh-bruteforce']?.ratio, 1);
    assert.equal(full!.scorecard.verdict.result, 'pass', full!.scorecard.verdict.reasons.join('; '));
    assert.equal(full!.exitCode, 0);
  });

  it('false positives are the medium-or-worse findings the journal has on clean hosts', () => {
    const sc = full!.scorecard;
    const clean = sc.hosts.filter((h) => h.scenario === null || h.scenario === 'clean').map((h) => h.host);
    const expected = journal(sc.run!.runDir).filter(
      (e) =>
        e.type === 'finding' && clean.includes(e.host) && ['medium', 'high', 'critical'].includes(e.finding.severity),
    );
    assert.deepEqual(sc.falsePositives.cleanHosts, clean);
    assert.equal(sc.falsePositives.count, expected.length);
  });

  it('both faults appear as handled: the downed host unreachable, the lossy one through the run', () => {
    const sc = full!.scorecard;
    const [down, flaky] = sc.resilience;
    assert.equal(sc.resilience.length, 2);
    assert.equal(down?.kind, 'down');
    assert.equal(down?.status, 'injected');
    assert.equal(down?.outcome, 'unreachable');
    assert.equal(down?.handled, true);
    assert.ok(sc.hosts.find((h) => h.host === down?.host)?.scenario === 'clean');
    assert.equal(flaky?.kind, 'flaky');
    assert.equal(flaky?.status, 'injected');
    assert.equal(flaky?.handled, true);
    assert.ok(sc.hosts.find((h) => h.host === flaky?.host)?.compromised);
    assert.ok(down?.healedAt && flaky?.healedAt, 'faults are healed before the hypothesis after the run');
    const recap = journal(sc.run!.runDir).find((e) => e.type === 'run.finished');
    assert.equal(
      recap?.type === 'run.finished' && recap.recap.find((r) => r.host === down?.host)?.state,
      'unreachable',
    );
  });

  it("the hypothesis is measured inside the hosts: sshd serves before and after, the dropper's traffic still leaves (nothing contained it)", () => {
    const sc = full!.scorecard;
    const nonCompromised = sc.hosts.filter((h) => !h.compromised).map((h) => h.host);
    for (const p of [...sc.hypothesis.before, ...sc.hypothesis.after].filter((x) => x.probe === 'ssh-serves')) {
      assert.equal(p.ok, true, JSON.stringify(p.hosts));
      assert.deepEqual(
        p.hosts.map((h) => h.host),
        nonCompromised,
      );
    }
    const traffic = sc.hypothesis.after.find((p) => p.probe === 'no-attack-traffic');
    assert.equal(traffic?.required, false);
    for (const h of traffic?.hosts ?? []) {
      const compromised = sc.hosts.find((r) => r.host === h.host)?.compromised;
      assert.equal(h.ok, !compromised, `${h.host}: ${h.detail}`);
    }
    assert.ok(
      sc.attackTraffic.samples
        .filter((s) => s.packets > 0)
        .every((s) => Object.keys(s.destinations).every((a) => a.startsWith('198.1'))),
      'the dropper only reaches lab addresses',
    );
    assert.equal(sc.containment.uncontained.length, 1);
  });

  it('writes scorecard.json into the run directory and leaves no lab behind', () => {
    const sc = full!.scorecard;
    assert.equal(full!.scorecardPath, path.join(sc.run!.runDir, 'scorecard.json'));
    assert.deepEqual(readScorecard(sc.run!.runDir), JSON.parse(JSON.stringify(sc)));
    assert.deepEqual(labLeftovers(labAtStart!), []);
  });

  it('a runbook that isolates: containment times measured, no attack traffic after isolation, the containment probes hold', async () => {
    writeFileSync(
      path.join(tmp, 'isolate.yaml'),
      'name: drill-isolate\nphases:\n  isolate:\n    - name: isolate\n      isolate: {mode: full}\n',
    );
    writeFileSync(
      path.join(tmp, 'isolate-drill.yaml'),
      [
        'name: it-isolate',
        'seed: 3',
        'lab: {hosts: 3, scenarios: {outbound-ssh-bruteforce: 2, clean: 1}}',
        'runbook: isolate.yaml',
        'timeout: 2m',
        'hypothesis: {ssh-serves: non-compromised, isolated-or-rebuilt: compromised, no-attack-traffic: all}',
        'thresholds: {max_containment_p95: 60s, max_uncontained: 0}',
      ].join('\n'),
    );
    const r = await runDrill({
      drill: loadDrill(path.join(tmp, 'isolate-drill.yaml')),
      labDir: path.join(tmp, 'lab-isolate'),
      runsDir: path.join(tmp, 'runs'),
    });
    const sc = r.scorecard;
    const compromised = sc.hosts.filter((h) => h.compromised).map((h) => h.host);
    const clean = sc.hosts.filter((h) => !h.compromised).map((h) => h.host);
    assert.deepEqual(
      sc.containment.contained.map((c) => c.host),
      compromised,
    );
    assert.ok(
      sc.containment.contained.every((c) => c.seconds > 0 && c.seconds < 60),
      JSON.stringify(sc.containment),
    );
    assert.equal(sc.containment.stats.count, 2);
    assert.deepEqual(sc.containment.isolatedNotCompromised, clean);
    const watched = sc.attackTraffic.samples
      .filter((x) => x.source === 'isolation')
      .map((x) => x.host)
      .sort();
    assert.deepEqual(watched, [...compromised, ...clean].sort(), 'each host watched right after its isolation');
    assert.equal(sc.attackTraffic.afterIsolation, 0);
    for (const p of sc.hypothesis.after) assert.ok(p.ok, `${p.probe}: ${JSON.stringify(p.hosts)}`);
    assert.match(
      sc.hypothesis.after.find((p) => p.probe === 'isolated-or-rebuilt')?.hosts[0]?.detail ?? '',
      /^isolated: a test connection to [\d.]+:22 did not leave the host/,
    );
    assert.equal(sc.verdict.result, 'pass', sc.verdict.reasons.join('; '));
    assert.deepEqual(leftoversOf(sc), []);
  });

  it('--runbook with a drill file rehearses the same drill with that runbook (checked before anything boots); other flags still refused', async () => {
    const missing = path.join(tmp, 'no-such-runbook.yaml');
    const r = await startCli([
      'drill',
      path.join(tmp, 'full.yaml'),
      '--runbook',
      missing,
      '--lab-dir',
      path.join(tmp, 'lab-none'),
    ]).done;
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.ok(r.stderr.includes(`${missing}: cannot read runbook`), r.stderr);
    assert.ok(!existsSync(path.join(tmp, 'lab-none', 'lab.json')), 'no lab was started');
    const both = await startCli(['drill', path.join(tmp, 'full.yaml'), '--runbook', missing, '--hosts', '2']).done;
    assert.equal(both.code, 2);
    assert.match(both.stderr, /not both \(--hosts\); with a file, only --runbook may replace its runbook/);
  });

  it('a weakened runbook scores lower coverage, fails its threshold with exit code 7, and compares worse', async () => {
    // The same seed and scenario on two hosts (one compromised, one clean), without the faults and
    // probes (the drill above checks those): what differs is the runbook.
    const weakYaml = readFileSync(path.join(tmp, 'full.yaml'), 'utf8')
      .replace('name: it-full', 'name: it-weak')
      .replace('runbook: collect.yaml', 'runbook: weak.yaml')
      .replace(
        '{hosts: 3, scenarios: {outbound-ssh-bruteforce: 1, clean: 2}}',
        '{hosts: 2, scenarios: {outbound-ssh-bruteforce: 1, clean: 1}}',
      )
      .replace(/^faults:[\s\S]*?(?=^thresholds:)/m, '');
    writeFileSync(path.join(tmp, 'weak-drill.yaml'), weakYaml);
    const cli = startCli(
      [
        'drill',
        path.join(tmp, 'weak-drill.yaml'),
        '--lab-dir',
        path.join(tmp, 'lab-weak'),
        '--runs-dir',
        path.join(tmp, 'runs'),
      ],
      { timeoutMs: 200_000 },
    );
    const r = await cli.done;
    assert.equal(r.code, 7, r.stdout + r.stderr);
    assert.match(r.stdout, /drill it-weak \(seed 11\): FAIL/);
    assert.match(r.stdout, /✖ min_coverage 1 \(measured 0\.\d+\)/);
    const scPath = /scorecard: (\S+)/.exec(r.stdout)?.[1];
    assert.ok(scPath && existsSync(scPath));
    const weak = readScorecard(scPath);
    const strong = full!.scorecard;
    assert.ok(
      (weak.detection.overall.ratio ?? 1) < (strong.detection.overall.ratio ?? 0),
      `weak ${weak.detection.overall.ratio} < full ${strong.detection.overall.ratio}`,
    );
    const missed = new Set(weak.detection.indicators.filter((i) => i.scored && !i.found).map((i) => i.id));
    for (const id of ['dropper-process', 'cron-root', 'cron-d'])
      assert.ok(missed.has(id), `${id} is missed without the process table and the crontabs`);
    assert.ok(weak.improvements.some((l) => /no process\.suspicious finding/.test(l)));
    assert.deepEqual(leftoversOf(weak), []);

    const cmp = await startCli(['drill', 'compare', strong.run!.runDir, weak.run!.runDir]).done;
    assert.equal(cmp.code, 0, cmp.stderr);
    assert.match(cmp.stdout, /^coverage\s+\S+ \(100%\)\s+\S+ \(\d+%\)\s+▼ worse$/m);
    assert.match(cmp.stdout, /^verdict\s+pass\s+fail\s+▼ worse$/m);
  });
});
