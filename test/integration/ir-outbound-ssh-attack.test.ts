/**
 * runbooks/outbound-ssh-attack.yaml on the drill lab, the seed-1 case end to end: a host running the
 * outbound-ssh-bruteforce scenario (responded to) and a bystander (n002, not in the run) that the
 * attack targets. Checked between phases, from the hosts themselves and from an independent OpenSSH
 * client. (A clean host in the run is the targeted runbook's test: ir-outbound-ssh-targeted.)
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding, StoredArtifact } from '../../src/core/index.js';
import { checkTruth, labUp, readLabState, scenarioCoverage, type LabState } from '../../src/lab/index.js';
import { isRoot, labTempDir, onHost, removeLab } from '../helpers/lab.js';
import { readJournal, runCli, type JournalEvent, FIREBREAK_BIN } from './run-cli.js';

const RUNBOOK = 'runbooks/outbound-ssh-attack.yaml';

function sshOk(state: LabState, user: string, key: string, address: string): boolean {
  try {
    execFileSync(
      'ssh',
      [
        '-F',
        '/dev/null',
        '-i',
        key,
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'BatchMode=yes',
        '-o',
        'ConnectTimeout=4',
        `${user}@${address}`,
        'true',
      ],
      { stdio: 'ignore', timeout: 15_000 },
    );
    return true;
  } catch {
    return false;
  }
}

/** New connections from `from` that reached `peer`'s sshd, as its auth.log tells. */
async function connectionsSeen(state: LabState, peer: string, from: string): Promise<number> {
  const r = await onHost(state, peer, `grep -c ' ${from} port ' /var/log/auth.log || true`);
  return Number(r.stdout.trim());
}

describe('outbound-ssh-attack runbook on the drill lab', function () {
  this.timeout(300_000);
  let state: LabState;
  let dir = '';
  let work = '';
  const rebuild = () => `rebuild_command=${process.execPath} ${FIREBREAK_BIN} lab reset --dir ${dir}`;
  const run = async (args: string[]): Promise<{ code: number | null; journal: JournalEvent[]; out: string }> => {
    const runs = path.join(work, `runs-${Date.now()}`);
    const r = await runCli(
      [
        'run',
        RUNBOOK,
        '-i',
        state.files.inventory,
        '--limit',
        'n001',
        '--runs-dir',
        runs,
        '-e',
        rebuild(),
        // The heavy sets walk and hash the whole filesystem the lab hosts share with this machine,
        // twice per run: minutes. Their commands are checked by test/unit/facts-commands.test.ts.
        '-e',
        'deep_collection=false',
        ...args,
      ],
      { timeoutMs: 240_000 },
    );
    const runDir = path.join(runs, readdirOne(runs));
    return { code: r.code, journal: readJournal(runDir), out: r.stdout + r.stderr };
  };

  before(async function () {
    if (!isRoot) return this.skip();
    dir = labTempDir('osa');
    work = path.dirname(dir);
    state = await labUp({
      dir,
      hosts: 2,
      scenarios: [{ name: 'outbound-ssh-bruteforce', count: 1 }],
    });
    await onHost(
      state,
      'n001',
      'mkdir -p /srv/app && head -c 100000 /dev/urandom > /srv/app/data.bin && echo config > /srv/app/app.conf && chmod 640 /srv/app/app.conf',
    );
  });

  after(async () => {
    await removeLab(state, dir);
  });

  it('walks the whole seed-1 response', async () => {
    const n1 = state.hosts[0];
    const planted = n1!.scenarios[0]!;
    const attackerKey = state.files.attackerKey;

    // 1. isolate: the attack stops, management still works.
    assert.ok(sshOk(state, 'sysupdate', attackerKey, n1!.address), 'the backdoor works before');
    const a = await run(['--phase', 'isolate']);
    assert.equal(a.code, 0, a.out);
    await new Promise((r) => setTimeout(r, 1500));
    const seen = await connectionsSeen(state, 'n002', n1!.address);
    // A 4 s window for attack connections to show up at n002, spent on the checks below (none of them
    // connects from n001 to n002), then n002's log is read again.
    const windowEnds = Date.now() + 4000;
    assert.ok(sshOk(state, 'root', state.files.clientKey, n1!.address), 'management still works');
    // Volatile first: the attack connections that isolating cuts were stored before any rule changed.
    const snapshot = a.journal
      .filter((e) => e.type === 'evidence.stored' && e.host === 'n001')
      .map((e) => e.artifact as StoredArtifact)
      .find((x) => /^isolate\/[^/]+\/sockets$/.test(x.label));
    assert.ok(snapshot, 'the isolate step stored the sockets');
    const sockets = readFileSync(
      path.join(
        work,
        readdirRuns(work, a.journal),
        'evidence',
        'objects',
        snapshot.sha256.slice(0, 2),
        snapshot.sha256,
      ),
      'utf8',
    );
    assert.match(
      sockets,
      new RegExp(`:22\\s+users:\\(\\("kworkerds",pid=${planted.facts.dropper_pid},`),
      "the dropper's live :22 connections are in the snapshot",
    );
    assert.equal(
      (
        await onHost(
          state,
          'n002',
          `timeout 3 bash -c 'exec 3<>/dev/tcp/${n1!.address}/22' && echo open || echo blocked`,
        )
      ).stdout.trim(),
      'blocked',
      'neighbours cannot reach the isolated host',
    );
    await new Promise((r) => setTimeout(r, Math.max(0, windowEnds - Date.now())));
    assert.equal(
      await connectionsSeen(state, 'n002', n1!.address),
      seen,
      'no new attack connections reach n002 after isolation',
    );

    // 2.–3. collect and contain, rebuild and restore, confirmed, in one run. (Collecting costs most of
    // this test: a run that stopped at the rebuild confirmation and a second one collecting again took
    // twice as long. The confirm stop without a terminal is run-failures' test; lock_user and
    // kill_process on a live host, before anything rebuilds it, are ir-respond's.)
    const c = await run(['--yes', '--phase', 'collect', '--phase', 'rebuild', '--phase', 'restore']);
    assert.equal(c.code, 0, c.out.slice(-2000));
    // The rebuild step collects again on the fresh host: what the response found is the collect phase's.
    const collected = c.journal.filter((e) => e.phase === 'collect');
    const findings = collected.filter((e) => e.type === 'finding').map((e) => e.finding as Finding);
    const cov = scenarioCoverage(
      planted,
      findings.filter((f) => f.host === 'n001'),
    );
    assert.deepEqual(
      cov.missed.map((i) => i.id),
      [],
      'every detectable indicator is found',
    );
    const artifacts = collected
      .filter((e) => e.type === 'evidence.stored' && e.host === 'n001')
      .map((e) => e.artifact as StoredArtifact);
    const binary = artifacts.find((x) => x.label === `kill_process/${planted.facts.dropper_pid}/exe`);
    assert.equal(binary?.sha256, planted.facts.dropper_sha256, 'the preserved binary is the planted dropper');
    assert.equal(binary?.match, true);
    const contained = collected.filter((e) => e.type === 'step.finished' && e.host === 'n001');
    for (const step of ['lock backdoor accounts', 'preserve and kill attacking processes'])
      assert.equal(
        (contained.find((e) => e.step === step)?.outcome as { status?: string } | undefined)?.status,
        'changed',
        `${step} changed n001`,
      );

    state = readLabState(dir);
    const fresh = state.hosts[0]!;
    assert.equal(fresh.generation, 1, 'n001 was reinstalled');
    const truth = await checkTruth(fresh, planted);
    assert.deepEqual(
      truth.filter((t) => t.present).map((t) => t.id),
      [],
      'the rebuilt host shows none of the indicators',
    );
    const restored = await onHost(
      state,
      'n001',
      'sha256sum /srv/app/data.bin /srv/app/app.conf; stat -c %a /srv/app/app.conf',
    );
    const backup = c.journal
      .filter((e) => e.type === 'evidence.stored' && e.host === 'n001')
      .map((e) => e.artifact as StoredArtifact)
      .find((x) => x.label === 'backup/data.manifest');
    assert.ok(backup, 'the backup manifest is evidence');
    const manifest = readFileSync(
      path.join(work, readdirRuns(work, c.journal), 'evidence', 'objects', backup.sha256.slice(0, 2), backup.sha256),
      'utf8',
    );
    for (const line of restored.stdout.trim().split('\n').slice(0, 2)) {
      const [sum, file] = line.split(/\s+/);
      assert.ok(
        manifest.includes(sum!) && manifest.includes(file!.slice(1)),
        `${file} restored with the hash it was backed up with`,
      );
    }
    assert.equal(restored.stdout.trim().split('\n')[2], '640', 'modes restored');
    assert.ok(sshOk(state, 'root', state.files.clientKey, fresh.address), 'reachable again after unisolate');
    assert.equal(
      (
        await onHost(
          state,
          'n002',
          `timeout 3 bash -c 'exec 3<>/dev/tcp/${fresh.address}/22' && echo open || echo blocked`,
        )
      ).stdout.trim(),
      'open',
      'neighbours reach it again',
    );
  });
});

function readdirOne(dir: string): string {
  const entries = execFileSync('ls', [dir], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(entries.length, 1, `one run directory in ${dir}`);
  return entries[0]!;
}

/** The run directory (relative to work) a journal belongs to. */
function readdirRuns(work: string, journal: JournalEvent[]): string {
  const started = journal.find((e) => e.type === 'run.started') as JournalEvent & { runDir: string };
  return path.relative(work, started.runDir);
}
