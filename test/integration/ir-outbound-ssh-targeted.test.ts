/**
 * runbooks/outbound-ssh-targeted.yaml on the drill lab, in one run: n001 runs the outbound SSH brute
 * forcer, n002 is clean, n003 is a bystander outside the run, n004 is down. Only n001 is contained,
 * rebuilt and restored; n002 is triaged and collected, then ends its run and stays in service; the
 * down host is reported and stops nobody. The seed-1 response on n001 is checked as the evidence and
 * the hosts show it afterwards: the attack connections in the volatile triage, the dropper's binary
 * preserved with the planted hash, the data restored with the hashes and modes it was backed up with.
 * (runbooks/outbound-ssh-attack.yaml runs the same steps on every host; its own checks between the
 * phases, isolation stopping the attack as it happens, are ir-isolate's: cuts everything but management.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding, StoredArtifact } from '../../src/core/index.js';
import { checkTruth, labUp, readLabState, type LabState } from '../../src/lab/index.js';
import { isRoot, labTempDir, onHost, removeLab } from '../helpers/lab.js';
import { FIREBREAK_BIN, onlyRunDir, readJournal, runCli, type JournalEvent } from './run-cli.js';

const RUNBOOK = 'runbooks/outbound-ssh-targeted.yaml';

describe('outbound-ssh-targeted runbook on the drill lab', function () {
  this.timeout(300_000);
  let state: LabState;
  let dir = '';
  let work = '';

  before(async function () {
    if (!isRoot) return this.skip();
    dir = labTempDir('ost');
    work = path.dirname(dir);
    state = await labUp({
      dir,
      hosts: 4,
      scenarios: [
        { name: 'outbound-ssh-bruteforce', count: 1 },
        { name: 'clean', count: 1 },
      ],
    });
    await onHost(
      state,
      'n001',
      'mkdir -p /srv/app && head -c 100000 /dev/urandom > /srv/app/data.bin && echo config > /srv/app/app.conf && chmod 640 /srv/app/app.conf',
    );
    const down = await runCli(['lab', 'fault', '--dir', dir, 'n004', 'down']);
    assert.equal(down.code, 0, down.stdout + down.stderr);
  });

  after(async () => {
    await removeLab(state, dir);
  });

  it('contains, rebuilds and restores only the compromised host; the clean one stays in service, said why', async () => {
    const reachable = async (host: string): Promise<string> =>
      (
        await onHost(
          state,
          'n003',
          `timeout 3 bash -c 'exec 3<>/dev/tcp/${state.hosts.find((h) => h.name === host)!.address}/22' && echo open || echo blocked`,
        )
      ).stdout.trim();
    const runs = path.join(work, 'runs');
    const r = await runCli(
      [
        'run',
        RUNBOOK,
        '-i',
        state.files.inventory,
        '--limit',
        'n001,n002,n004',
        '--runs-dir',
        runs,
        '--yes',
        '-e',
        `rebuild_command=${process.execPath} ${FIREBREAK_BIN} lab reset --dir ${dir}`,
        '-e',
        'deep_collection=false',
      ],
      { timeoutMs: 240_000 },
    );
    const out = r.stdout + r.stderr;
    // The down host is a failed host (exit 3), and nothing else stopped.
    assert.equal(r.code, 3, out.slice(-3000));
    const runDir = onlyRunDir(runs);
    const journal = readJournal(runDir);
    const ok = (host: string, type: string): JournalEvent[] =>
      journal.filter(
        (e) =>
          e.type === 'step.finished' &&
          e.host === host &&
          ['ok', 'changed'].includes((e.outcome as { status: string }).status) &&
          journal.some((s) => s.type === 'step.started' && s.host === host && s.step === e.step && s.stepType === type),
      );

    // n001: contained in the isolate phase, then locked, killed, backed up, rebuilt, restored.
    assert.equal(ok('n001', 'isolate').filter((e) => e.phase === 'isolate').length, 1, 'n001 isolated first');
    for (const type of ['lock_user', 'kill_process', 'backup', 'rebuild', 'restore', 'unisolate'])
      assert.equal(ok('n001', type).length, 1, `n001 ${type}`);
    const planted = state.hosts.find((h) => h.name === 'n001')!.scenarios[0]!;
    state = readLabState(dir); // n001 was reinstalled: commands on it go to its new namespaces
    const fresh = state.hosts.find((h) => h.name === 'n001')!;
    assert.equal(fresh.generation, 1, 'n001 was reinstalled');
    assert.deepEqual(
      (await checkTruth(fresh, planted)).filter((t) => t.present).map((t) => t.id),
      [],
    );
    // Volatile first: the dropper's live :22 connections were stored by the triage, before anything changed.
    const n001Artifacts = journal
      .filter((e) => e.type === 'evidence.stored' && e.host === 'n001')
      .map((e) => ({ ...(e.artifact as StoredArtifact), phase: e.phase as string }));
    const object = (a: StoredArtifact) =>
      readFileSync(path.join(runDir, 'evidence', 'objects', a.sha256.slice(0, 2), a.sha256), 'utf8');
    const sockets = n001Artifacts.find((a) => a.phase === 'isolate' && a.label === 'network/ss-tanp');
    assert.ok(sockets, 'the triage stored the sockets');
    assert.match(
      object(sockets),
      new RegExp(`:22\\s+users:\\(\\("kworkerds",pid=${planted.facts.dropper_pid},`),
      "the dropper's live :22 connections are in the triage",
    );
    const binary = n001Artifacts.find((a) => a.label === `kill_process/${planted.facts.dropper_pid}/exe`);
    assert.equal(binary?.sha256, planted.facts.dropper_sha256, 'the preserved binary is the planted dropper');
    assert.equal(binary?.match, true);
    const backup = n001Artifacts.find((a) => a.label === 'backup/data.manifest');
    assert.ok(backup, 'the backup manifest is evidence');
    const restored = await onHost(
      state,
      'n001',
      'sha256sum /srv/app/data.bin /srv/app/app.conf; stat -c %a /srv/app/app.conf',
    );
    for (const line of restored.stdout.trim().split('\n').slice(0, 2)) {
      const [sum, file] = line.split(/\s+/);
      assert.ok(
        object(backup).includes(sum!) && object(backup).includes(file!.slice(1)),
        `${file} restored with the hash it was backed up with`,
      );
    }
    assert.equal(restored.stdout.trim().split('\n')[2], '640', 'modes restored');

    // n002: triaged and collected in full, never isolated or rebuilt, its run ended with the reason and evidence.
    const ended = journal.filter((e) => e.type === 'host.ended');
    assert.deepEqual(
      ended.map((e) => [e.host, e.phase, e.step, e.reason]),
      [['n002', 'collect', 'leave in service', 'not contained: no sign of compromise at high or above']],
    );
    const stored = journal
      .filter((e) => e.type === 'evidence.stored' && e.host === 'n002')
      .map((e) => (e.artifact as StoredArtifact).id);
    assert.ok(stored.length > 50, `${stored.length} artifacts of n002`);
    const alarming = journal.filter(
      (e) =>
        e.type === 'finding' &&
        e.host === 'n002' &&
        ['medium', 'high', 'critical'].includes((e.finding as Finding).severity),
    );
    assert.deepEqual(
      alarming.map((e) => (e.finding as Finding).summary),
      [],
      'nothing alarming on the clean host',
    );
    assert.ok(
      journal.some((e) => e.type === 'finding' && e.host === 'n002'),
      'the clean host was analysed (info findings exist)',
    );
    assert.deepEqual(ended[0]!.evidence, stored, 'the decision names every artifact it rests on');
    assert.deepEqual(
      ok('n002', 'isolate').concat(ok('n002', 'rebuild'), ok('n002', 'lock_user')),
      [],
      'nothing changed n002',
    );
    assert.deepEqual(
      journal.filter((e) => e.host === 'n002' && (e.phase === 'rebuild' || e.phase === 'restore')),
      [],
    );
    assert.equal(readLabState(dir).hosts.find((h) => h.name === 'n002')!.generation, 0);
    assert.equal(await reachable('n002'), 'open', 'n002 stays in service');
    assert.equal(await reachable('n001'), 'open', 'n001 is back after its restore');

    // n004 (down): unreachable in isolate, reported, and the only failure.
    const summary = JSON.parse(readFileSync(path.join(runDir, 'summary.json'), 'utf8')) as {
      recap: { host: string; state: string; ended?: string }[];
    };
    assert.deepEqual(
      summary.recap.map((x) => [x.host, x.state, x.ended ?? null]),
      [
        ['n001', 'ok', null],
        ['n002', 'ok', 'not contained: no sign of compromise at high or above'],
        ['n004', 'unreachable', null],
      ],
    );
    assert.match(
      out,
      /n002 \| collect \| leave in service \| ENDED: not contained: no sign of compromise at high or above \(evidence ev-/,
    );
    assert.match(out, /n002 +ok .*ended: not contained: no sign of compromise at high or above/);
    const report = readFileSync(path.join(runDir, 'report.md'), 'utf8');
    assert.match(
      report,
      /Left in service[^\n]*\n\n- \[n002\]\(#[^)]+\), collect step "leave in service": not contained/,
    );
  });
});
