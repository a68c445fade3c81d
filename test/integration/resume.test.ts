/**
 * `firebreak resume` end to end on 3 loopback sshd hosts: the controller is SIGKILLed while every host
 * waits in a read-only step, the journal's last line is left torn, then resume carries on: no finished
 * step runs again (the hosts' own logs say so), a value registered before the crash reaches a step of a
 * later phase, the in-flight step runs again with the reason recorded, every (host, step) finishes
 * exactly once, and the sealed run verifies. Refused, with exit 8 and nothing changed: a run whose
 * controller is alive, a changed runbook (unless --runbook-changed-ok), a finished run. A host whose
 * in-flight step cannot be checked (shell) is stopped with the reason, never guessed about.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  promises as fs,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { onlyRunDir, readJournal, readSummary, runCli, startCli, until, type RunningCli, fleetRun } from './run-cli.js';

describe('firebreak resume (real CLI, real sshd)', function () {
  this.timeout(60_000);
  let fleet: Fleet;
  let work: string;
  const started: RunningCli[] = [];

  before(async function () {
    this.timeout(30_000);
    fleet = await startFleet({ hosts: 3 });
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-e2e-resume-'));
  });
  after(async () => {
    for (const c of started) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await Promise.all(started.map((c) => c.done.catch(() => undefined)));
    // Lets any wait loop the killed controllers left on the hosts end (also when a test failed early).
    if (work) for (const gate of ['go', 'go2']) writeFileSync(path.join(work, gate), '');
    await fleet?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  const write = (name: string, runbook: object): string => {
    const file = path.join(work, `${name}.json`);
    writeFileSync(file, JSON.stringify(runbook));
    return file;
  };
  /** Start a run and SIGKILL its controller once every host is inside step `index`. */
  const crashAt = async (file: string, runs: string, index: number, hosts: number): Promise<string> => {
    const cli = startCli(fleetRun(fleet, file, runs));
    started.push(cli);
    await until(
      () => {
        // The run directory comes a moment before its journal.
        if (!existsSync(runs) || readdirSync(runs).length === 0) return false;
        const journal = path.join(onlyRunDir(runs), 'journal.jsonl');
        if (!existsSync(journal) || !readFileSync(journal, 'utf8')) return false;
        const inside = readJournal(onlyRunDir(runs)).filter((e) => e.type === 'step.started' && e.index === index);
        return inside.length === hosts;
      },
      20_000,
      `every host inside step ${index}`,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${cli.out.stdout}${cli.out.stderr}`);
    });
    return onlyRunDir(runs);
  };
  const finishedSteps = (runDir: string) =>
    readJournal(runDir)
      .filter((e) => e.type === 'step.finished')
      .map((e) => `${e.host}#${String(e.index)}`)
      .sort();

  it('carries a SIGKILLed run on: nothing finished runs again, registered values survive, each step ends once', async () => {
    const log = (h: string) => path.join(work, `${h}.log`);
    const file = write('resume-e2e', {
      name: 'resume-e2e',
      phases: {
        collect: [
          {
            name: 'first',
            shell: `echo first >> ${work}/{{inventory_hostname}}.log; printf hello-{{inventory_hostname}}`,
            register: 'greet',
          },
          { name: 'gate', wait_for: { command: `test -e ${work}/go`, timeout: '50s', delay: '200ms' } },
        ],
        restore: [{ name: 'second', shell: `echo "second {{greet.stdout}}" >> ${work}/{{inventory_hostname}}.log` }],
      },
    });
    const runs = path.join(work, 'runs-a');
    const runDir = await crashAt(file, runs, 2, 3);

    // While its controller lives, nobody else may write the run.
    const live = await runCli(['resume', runDir]);
    assert.equal(live.code, 8, live.stdout + live.stderr);
    assert.match(live.stderr, /another controller is still writing this run: held by pid \d+/);

    const victim = started.at(-1)!;
    victim.child.kill('SIGKILL');
    assert.equal((await victim.done).signal, 'SIGKILL');
    assert.ok(!existsSync(path.join(runDir, 'summary.json')));
    // The crash cut the last line short.
    const torn = '{"type":"step.output","host":"host01","ph';
    appendFileSync(path.join(runDir, 'journal.jsonl'), torn);
    // What the crash left is readable as it is: verified as far as it goes, reported.
    const unsealed = await runCli(['evidence', 'verify', runDir]);
    assert.equal(unsealed.code, 5, unsealed.stdout + unsealed.stderr);
    assert.match(unsealed.stdout + unsealed.stderr, /not finalized/);
    const crashedReport = await runCli(['report', runDir]);
    assert.equal(crashedReport.code, 0, crashedReport.stdout + crashedReport.stderr);

    // A changed runbook file is refused, nothing touched; accepted, the journaled runbook runs.
    appendFileSync(file, '\n');
    const changed = await runCli(['resume', runDir]);
    assert.equal(changed.code, 8, changed.stdout + changed.stderr);
    assert.match(changed.stderr, /changed since the run started .* --runbook-changed-ok/);
    assert.ok(readFileSync(path.join(runDir, 'journal.jsonl'), 'utf8').endsWith(torn), 'the refusal changed nothing');

    writeFileSync(path.join(work, 'go'), '');
    const r = await runCli(['resume', runDir, '--runbook-changed-ok']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const h of ['host01', 'host02', 'host03'])
      assert.equal(
        readFileSync(log(h), 'utf8'),
        `first\nsecond hello-${h}\n`,
        `${h}: step 1 once, its register reached step 3`,
      );

    assert.deepEqual(
      finishedSteps(runDir),
      ['host01', 'host02', 'host03'].flatMap((h) => [`${h}#1`, `${h}#2`, `${h}#3`]).sort(),
      'every (host, step) finished exactly once',
    );
    const journal = readJournal(runDir);
    const resumed = journal.filter((e) => e.type === 'run.resumed');
    assert.equal(resumed.length, 1);
    const rs = resumed[0] as unknown as {
      inFlight: { host: string; index: number }[];
      tornTail?: { bytes: number; file: string };
    };
    assert.deepEqual(rs.inFlight.map((f) => `${f.host}#${f.index}`).sort(), ['host01#2', 'host02#2', 'host03#2']);
    assert.equal(rs.tornTail?.bytes, Buffer.byteLength(torn));
    assert.equal(readFileSync(path.join(runDir, rs.tornTail.file), 'utf8'), torn, 'the torn bytes are kept');
    const gates = journal.filter((e) => e.type === 'step.finished' && e.index === 2);
    for (const g of gates)
      assert.match(String((g.outcome as { resumed?: string }).resumed), /only reads or is safe to repeat/);
    assert.equal(readSummary(runDir).exitCode, 0);

    const v = await runCli(['evidence', 'verify', runDir]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const report = readFileSync(path.join(runDir, 'report.md'), 'utf8');
    assert.match(report, /run resumed \(1\)/, 'the report shows the interruption');
    const again = await runCli(['resume', runDir]);
    assert.equal(again.code, 8);
    assert.match(again.stderr, /the run finished/);
  });

  it('stops a host whose in-flight step it cannot check, with the reason, and runs nothing after it there', async () => {
    const file = write('resume-shell', {
      name: 'resume-shell',
      phases: {
        collect: [
          { name: 'hold', shell: `while [ ! -e ${work}/go2 ]; do sleep 0.2; done` },
          { name: 'after', shell: `echo after >> ${work}/after-{{inventory_hostname}}` },
        ],
      },
    });
    const runs = path.join(work, 'runs-b');
    const runDir = await crashAt(file, runs, 1, 3);
    started.at(-1)!.child.kill('SIGKILL');
    await started.at(-1)!.done;
    writeFileSync(path.join(work, 'go2'), '');
    const r = await runCli(['resume', runDir]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /was running when the controller died; a shell step changes the host in ways firebreak cannot check/,
    );
    assert.equal(existsSync(path.join(work, 'after-host01')), false, 'nothing after it ran');
    assert.deepEqual(readSummary(runDir).counts, { hosts: 3, ok: 0, failed: 3, unreachable: 0, aborted: 0 });
  });
});
