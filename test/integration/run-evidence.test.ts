/**
 * Evidence commands of one step run a few at a time over the host's one SSH connection: every
 * artifact is stored and journaled in plan order, a listing of live processes never shows our own
 * collection commands running beside it, and an sshd that allows fewer sessions per connection (a
 * hardened `MaxSessions 2`) slows the step down instead of failing the host.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FileMetadata, StoredArtifact } from '../../src/core/index.js';
import type { HostRecord } from '../../src/evidence/index.js';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { onlyRunDir, readJournal, runCli, fleetRun } from './run-cli.js';

const COMMANDS = 8;
/** In every extra command's command line, so a process listing that caught one would show it. */
const MARK = 'fb-evidence-batch-mark';

interface ManifestArtifact {
  id: string;
  size: number;
  source: { value: string };
  /** When its command started on the host. */
  collectedAt: string;
  acquisition?: { durationMs: number; file?: FileMetadata };
}

/** Run a collect step with the extra commands (after the processes set if asked); what it stored. */
async function collect(fleet: Fleet, work: string, name: string, sets: string[], files: string[] = []) {
  const commands = Array.from({ length: COMMANDS }, (_, k) => ({
    label: `extra/c${k}`,
    command: `sleep 0.5 && echo ${MARK}-${k}`,
  }));
  const runbook = path.join(work, `${name}.yaml`);
  await fs.writeFile(
    runbook,
    JSON.stringify({ name, phases: { collect: [{ name: 'collect', collect: { sets, commands, files } }] } }),
  );
  const runs = path.join(work, `runs-${name}`);
  const r = await runCli(fleetRun(fleet, runbook, runs));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const runDir = onlyRunDir(runs);
  const stored = readJournal(runDir)
    .filter((e) => e.type === 'evidence.stored')
    .map((e) => e.artifact as StoredArtifact);
  // Plan order: the processes set first (its own order), then the extra commands in theirs; ids too.
  const labels = stored.map((a) => a.label);
  const processes = labels.filter((l) => l.startsWith('processes/'));
  assert.ok(processes.length >= (sets.includes('processes') ? 5 : 0), labels.join(' '));
  assert.deepEqual(labels, [...processes, ...commands.map((c) => c.label), ...files.map((f) => `files${f}`)]);
  const ids = stored.map((a) => Number(/(\d+)$/.exec(a.id)?.[1]));
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
  );
  const object = (a: StoredArtifact) =>
    readFileSync(path.join(runDir, 'evidence', 'objects', a.sha256.slice(0, 2), a.sha256), 'utf8');
  for (const [k, a] of stored.filter((x) => x.label.startsWith('extra/')).entries())
    assert.equal(object(a), `${MARK}-${k}\n`);
  const manifest = JSON.parse(readFileSync(path.join(runDir, 'evidence', 'manifest.json'), 'utf8')) as {
    artifacts: ManifestArtifact[];
    hosts?: HostRecord[];
  };
  const window = (a: StoredArtifact) => {
    const m = manifest.artifacts.find((x) => x.id === a.id);
    assert.ok(m?.acquisition, `acquisition of ${a.label}`);
    const start = Date.parse(m.collectedAt);
    return { start, end: start + m.acquisition.durationMs };
  };
  return { stored, object, window, manifest };
}

describe('firebreak run: evidence over several channels of one SSH connection (real sshd)', function () {
  this.timeout(90_000);
  let work: string;
  const fleets: Fleet[] = [];

  before(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-e2e-evidence-'));
  });
  after(async () => {
    for (const f of fleets) await f.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('runs commands side by side, stores them in plan order, and lists live processes with nothing of ours beside', async () => {
    const fleet = await startFleet({ hosts: 1 });
    fleets.push(fleet);
    const file = path.join(work, 'collected.conf');
    await fs.writeFile(file, 'x=1\n', { mode: 0o640 });
    const { stored, object, window, manifest } = await collect(fleet, work, 'side-by-side', ['processes'], [file]);
    // A collected file: its metadata as the host's stat saw it, beside what was stored.
    const st = statSync(file);
    const collected = manifest.artifacts.find((a) => a.source.value === file);
    assert.deepEqual(
      collected && [collected.size, collected.acquisition?.file?.mode, collected.acquisition?.file?.inode],
      [4, '640', st.ino],
    );
    assert.equal(collected?.acquisition?.file?.size, 4);
    assert.equal(collected?.acquisition?.file?.mtime, new Date(Math.floor(st.mtimeMs / 1000) * 1000).toISOString());
    // The host's acquisition record: the key verified for the connection, what the host says, both clocks.
    const [record, ...others] = manifest.hosts ?? [];
    assert.equal(others.length, 0);
    const fp = execFileSync('ssh-keygen', ['-lf', fleet.knownHostsPath], { encoding: 'utf8' }).split(' ')[1];
    assert.equal(record?.host, 'host01');
    assert.equal(record.hostKey, `ssh-ed25519 ${fp}`);
    assert.equal(record.user, os.userInfo().username);
    assert.equal(record.kernel, execFileSync('uname', ['-srm'], { encoding: 'utf8' }).trim());
    assert.ok(record.hostname && record.os && record.timezone, JSON.stringify(record));
    assert.ok(Math.abs(record.clockSkewSeconds ?? 99) <= 2, JSON.stringify(record));
    assert.equal(record.error, undefined);
    const extra = stored.filter((a) => a.label.startsWith('extra/')).map(window);
    // Positive control: the extra commands did run side by side.
    const overlapping = extra.some((w, k) => extra.some((v, j) => j !== k && v.start < w.end && w.start < v.end));
    assert.ok(overlapping, `no two extra commands overlapped: ${JSON.stringify(extra)}`);
    // Windows are a Date start plus a rounded performance.now() duration: a few ms of slack between
    // two that follow each other; an extra command running beside a listing overlaps it by far more.
    const SLACK_MS = 25;
    for (const a of stored.filter((x) => x.label.startsWith('processes/'))) {
      const w = window(a);
      for (const v of extra)
        assert.ok(
          v.end <= w.start + SLACK_MS || v.start >= w.end - SLACK_MS,
          `${a.label} ${JSON.stringify(w)} overlapped an extra command ${JSON.stringify(v)}`,
        );
      assert.ok(!object(a).includes(MARK), `${a.label} shows one of our extra commands`);
    }
  });

  it('an sshd allowing two sessions per connection (MaxSessions 2): refused channels wait, nothing fails', async () => {
    const fleet = await startFleet({ hosts: 1, sshdConfigExtra: ['MaxSessions 2'] });
    fleets.push(fleet);
    const { stored } = await collect(fleet, work, 'max-sessions', []);
    assert.equal(stored.filter((a) => a.label.startsWith('extra/')).length, COMMANDS);
  });
});

describe('firebreak run: the controller disk nearly full (real sshd, a small tmpfs as the runs directory)', function () {
  this.timeout(90_000);
  let fleet: Fleet | undefined;
  let work = '';
  let mounted = false;

  before(async function () {
    if (process.getuid?.() !== 0) return this.skip(); // mounting a tmpfs needs root
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-e2e-disk-'));
    await fs.mkdir(path.join(work, 'small'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0700', 'fb-test-small', path.join(work, 'small')]);
    mounted = true;
    fleet = await startFleet({ hosts: 1 });
  });
  after(async () => {
    await fleet?.stop();
    if (mounted) execFileSync('umount', [path.join(work, 'small')]);
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  /** A run of `commands` extra evidence commands, each `bytes` long, into the small filesystem with a 16 MiB reserve. */
  const run = async (commands: number, bytes = 2097152, reserveMb = '16') => {
    const runbook = path.join(work, 'big.yaml');
    const items = Array.from({ length: commands }, (_, k) => ({
      label: `extra/big${k}`,
      command: `head -c ${bytes} /dev/urandom`,
    }));
    await fs.writeFile(
      runbook,
      JSON.stringify({
        name: 'big',
        phases: { collect: [{ name: 'collect', collect: { sets: [], commands: items } }] },
      }),
    );
    const runs = path.join(work, 'small', 'runs');
    const r = await runCli(
      ['run', runbook, '-i', fleet!.inventoryPath, '--known-hosts', fleet!.knownHostsPath, '--runs-dir', runs],
      { env: { FIREBREAK_MIN_FREE_MB: reserveMb } },
    );
    return { r, runs };
  };

  /** The run stopped while its one artifact streamed in: exit 6, nothing stored, no partial spill file, sealed. */
  const stoppedMidArtifact = async (r: { code: number | null; stdout: string; stderr: string }, runs: string) => {
    assert.equal(r.code, 6, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /the controller's disk filled while extra\/big0 was being collected/);
    const runDir = onlyRunDir(runs);
    assert.deepEqual(
      readJournal(runDir).filter((e) => e.type === 'evidence.stored'),
      [],
    );
    const leftovers = (await fs.readdir(runDir, { recursive: true })).filter((f) =>
      /\.(stdout|stderr)$/.test(String(f)),
    );
    assert.deepEqual(leftovers, [], 'no partial spill file left');
    const v = await runCli(['evidence', 'verify', runDir]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  };

  it('stops the run with exit 6 before the reserve is used, and what it stored is sealed and verifies', async () => {
    const { r, runs } = await run(12);
    assert.equal(r.code, 6, r.stdout + r.stderr);
    // Caught before a command (nearly full) or while one streams in (filled while …), whichever comes first.
    assert.match(
      r.stdout + r.stderr,
      /the controller's disk (is nearly full|filled while extra\/big\d+ was being collected)[: (]+\d+ MiB free on the filesystem of .*below the reserve of 16 MiB/,
    );
    const runDir = onlyRunDir(runs);
    const journal = readJournal(runDir);
    const stored = journal.filter((e) => e.type === 'evidence.stored');
    assert.ok(stored.length >= 1 && stored.length < 12, `${stored.length} of 12 stored`);
    assert.ok(journal.some((e) => e.type === 'run.aborted' && /nearly full|disk filled/.test(String(e.reason))));
    assert.equal(JSON.parse(readFileSync(path.join(runDir, 'summary.json'), 'utf8')).exitCode, 6);
    // Nothing half-written: no temp file left in the store, and the sealed run verifies.
    assert.deepEqual(await fs.readdir(path.join(runDir, 'evidence', 'tmp')), []);
    const v = await runCli(['evidence', 'verify', runDir]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  it('stops one artifact that would eat the reserve while it streams in: exit 6, its partial output removed, the run sealed', async () => {
    await fs.rm(path.join(work, 'small', 'runs'), { recursive: true, force: true });
    // 20 MiB into 24 MiB with a 16 MiB reserve: the check before the command passes, the watch must stop it.
    const { r, runs } = await run(1, 20 * 1024 * 1024);
    await stoppedMidArtifact(r, runs);
  });

  it('an artifact that streamed in whole but whose stored copy would eat the reserve is the same stop', async () => {
    await fs.rm(path.join(work, 'small', 'runs'), { recursive: true, force: true });
    // 10 MiB into 24 MiB with an 8 MiB reserve: the spill never goes below it (no watch can fire),
    // the store's copy of it would.
    const { r, runs } = await run(1, 10 * 1024 * 1024, '8');
    await stoppedMidArtifact(r, runs);
  });

  it('without a reserve, the write that hits the full disk is the same stop: exit 6, the command killed, nothing partial left', async () => {
    await fs.rm(path.join(work, 'small', 'runs'), { recursive: true, force: true });
    // 40 MiB into 24 MiB and no reserve: no free-space check can fire, only the failed write (ENOSPC).
    const { r, runs } = await run(1, 40 * 1024 * 1024, '0');
    await stoppedMidArtifact(r, runs);
  });

  it('refuses to start a run at all when the reserve is already gone, leaving no run directory', async () => {
    // What the test before left in the small filesystem goes first; then a filler leaves less than the reserve.
    await fs.rm(path.join(work, 'small', 'runs'), { recursive: true, force: true });
    const filler = path.join(work, 'small', 'filler');
    await fs.writeFile(filler, Buffer.alloc(12 * 1024 * 1024));
    try {
      const { r, runs } = await run(1);
      assert.equal(r.code, 6, r.stdout + r.stderr);
      assert.match(r.stderr, /nearly full: .* nothing was started/);
      assert.equal(existsSync(runs) ? (await fs.readdir(runs)).length : 0, 0);
    } finally {
      await fs.rm(filler, { force: true });
    }
  });
});
