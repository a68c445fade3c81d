/**
 * `firebreak runs list` end to end, on one loopback sshd host: a run whose controller is alive shows
 * running; SIGKILLed (no summary, its lock left behind with a dead pid) it shows crashed; a run that
 * ended shows finished with its exit code; `--json` is the same list as data. The remote command the
 * killed controller left behind is removed and checked gone, on failure too.
 */
import assert from 'node:assert/strict';
import { existsSync, promises as fs, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunInfo } from '../../src/engine/run-state.js';
import type { RunLockInfo } from '../../src/engine/run-lock.js';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { remoteProcesses, runCli, sshRun, startCli, until, type RunningCli } from './run-cli.js';

/** The slow step's command; the `$` anchors the pattern on the host (`[s]` keeps pgrep off itself). */
const SLEEP = 'sleep 1003';
const SLEEP_PATTERN = '[s]leep 1003$';

describe('firebreak runs list (real CLI, real sshd)', function () {
  this.timeout(30_000);
  let fleet: Fleet;
  let work: string;
  let slow: RunningCli | undefined;

  before(async function () {
    this.timeout(30_000);
    fleet = await startFleet({ hosts: 1 });
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-e2e-runs-'));
  });
  after(async () => {
    if (slow && slow.child.exitCode === null && slow.child.signalCode === null) slow.child.kill('SIGKILL');
    await slow?.done.catch(() => undefined);
    // The namespace's death would take the sleep with it anyway; removing it first keeps the host clean.
    if (fleet) await sshRun(fleet, 'host01', `pkill -f '${SLEEP_PATTERN}'; true`).catch(() => undefined);
    await fleet?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  /** `firebreak run` of a one-step runbook written here, into `runs`. */
  const run = async (runs: string, name: string, shell: string) => {
    const file = path.join(work, `${name}.yaml`);
    await fs.writeFile(file, JSON.stringify({ name, phases: { collect: [{ name: 'step', shell }] } }));
    return ['run', file, '-i', fleet.inventoryPath, '--known-hosts', fleet.knownHostsPath, '--runs-dir', runs];
  };
  const list = (runs: string, ...extra: string[]) => runCli(['runs', 'list', '--runs-dir', runs, ...extra]);
  /** The table's row of a run: its cells, split on the column gaps. */
  const row = (table: string, runbook: string) =>
    table
      .split('\n')
      .find((l) => l.split(/\s{2,}/)[1] === runbook)
      ?.split(/\s{2,}/);

  it('shows a live run running, the same run crashed once its controller is SIGKILLed, an ended one finished; no runs dir, no runs', async () => {
    const runs = path.join(work, 'runs');
    slow = startCli(await run(runs, 'e2e-slow', SLEEP));
    // At the same time: a run that ends with hosts failed (exit 3), and a listing of a runs dir that is not there.
    const ended = runCli(await run(runs, 'e2e-fails', 'exit 7'));
    const none = list(path.join(work, 'no-such-dir'));
    // Positive control: the slow step really runs on the host, so the run is mid-way.
    const onHost = async () => (await remoteProcesses(fleet, 'host01', SLEEP_PATTERN)).length > 0;
    await until(onHost, 15_000, SLEEP).catch((err: Error) => {
      throw new Error(`${err.message}\nslow run:\n${slow?.out.stdout}${slow?.out.stderr}`);
    });
    assert.equal((await ended).code, 3);
    assert.deepEqual(await none.then((r) => [r.code, r.stdout]), [0, `no runs in ${path.join(work, 'no-such-dir')}\n`]);

    const running = await list(runs);
    assert.equal(running.code, 0, running.stderr);
    assert.match(running.stdout, /^RUN\s+RUNBOOK\s+STARTED\s+STATE\s+EXIT\s+HOSTS\s+LAST EVENT\n/);
    assert.deepEqual(row(running.stdout, 'e2e-slow')?.slice(3, 6), ['running', '-', '1'], running.stdout);
    assert.deepEqual(row(running.stdout, 'e2e-fails')?.slice(3, 6), ['finished', '3', '1'], running.stdout);

    const pid = slow.child.pid;
    slow.child.kill('SIGKILL');
    const killed = await slow.done;
    assert.equal(killed.signal, 'SIGKILL');

    const crashed = await list(runs, '--json');
    assert.equal(crashed.code, 0, crashed.stderr);
    const found = JSON.parse(crashed.stdout) as RunInfo[];
    const slowRun = found.find((r) => r.runbook === 'e2e-slow');
    assert.equal(slowRun?.state, 'crashed', crashed.stdout);
    assert.equal(slowRun?.exitCode, undefined);
    assert.equal(slowRun?.hosts, 1);
    assert.equal(slowRun?.lock?.pid, pid, 'the lock names the controller that was killed');
    const lockFile = path.join(slowRun?.runDir ?? '', 'run.lock');
    assert.equal((JSON.parse(readFileSync(lockFile, 'utf8')) as RunLockInfo).pid, pid);
    assert.match(slowRun?.detail ?? '', new RegExp(`stale: pid ${pid} .* no longer running`));
    const endedRun = found.find((r) => r.runbook === 'e2e-fails');
    assert.deepEqual([endedRun?.state, endedRun?.exitCode], ['finished', 3]);
    assert.ok(!existsSync(path.join(endedRun?.runDir ?? '', 'run.lock')), 'an ended run keeps no lock');
    // Newest first.
    assert.deepEqual(
      found.map((r) => r.startedAt),
      found
        .map((r) => r.startedAt)
        .sort()
        .reverse(),
    );

    // The controller died without killing its remote command: remove it, and make sure it is gone.
    await sshRun(fleet, 'host01', `pkill -f '${SLEEP_PATTERN}'; true`);
    await until(async () => (await remoteProcesses(fleet, 'host01', SLEEP_PATTERN)).length === 0, 5_000, 'no sleep');
  });
});
