/**
 * `firebreak run` end to end on a 20-host loopback sshd fleet: every step type, conditions and
 * retries, a hostile parameter, and `become` with a password that must never reach a file or a
 * command line. The CLI runs as a child process; results are read from the run directory and checked
 * on the hosts over a separate OpenSSH connection.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, promises as fs, mkdtempSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { StepOutcome } from '../../src/core/events.js';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import {
  E2E,
  allFiles,
  localProcessArgs,
  onlyRunDir,
  readJournal,
  readSummary,
  runCli,
  sshRun,
  startCli,
  type JournalEvent,
  fleetRun,
} from './run-cli.js';

const HOSTS = 20;
const HOSTILE = '$(touch /tmp/pwned)';

describe('firebreak run: step types on 20 hosts (real CLI, real sshd)', function () {
  this.timeout(60_000);
  let fleet: Fleet;
  let work: string;
  const names = () => fleet.hosts.map((h) => h.name);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  /** `firebreak run` of the sudo runbook on the fleet, with this inventory. */
  const becomeRun = (inventory: string, runs: string, ...extra: string[]) => [
    'run',
    path.join(E2E, 'runbooks', 'become.yaml'),
    '-i',
    inventory,
    '--known-hosts',
    fleet.knownHostsPath,
    '--runs-dir',
    runs,
    ...extra,
  ];

  before(async function () {
    this.timeout(60_000);
    fleet = await startFleet({ hosts: HOSTS });
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-e2e-steps-'));
    await fs.chmod(work, 0o755);
  });
  after(async () => {
    await fleet?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  describe('all step types', () => {
    let runDir: string;
    let journal: JournalEvent[];
    let result: Awaited<ReturnType<typeof runCli>>;
    let runbook: string;
    let scratch: string;
    let portHits = 0;
    const pwnedBefore = existsSync('/tmp/pwned');

    before(async function () {
      this.timeout(60_000);
      // wait_for.port wants a literal number: fill the ports into a copy of the fixtures.
      const server = net.createServer((s) => {
        portHits++;
        s.destroy();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as net.AddressInfo).port;
      const closed = net.createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const closedPort = (closed.address() as net.AddressInfo).port;
      await new Promise((r) => closed.close(r));
      const copy = path.join(work, 'e2e');
      await fs.cp(E2E, copy, { recursive: true });
      const rb = (runbook = path.join(copy, 'runbooks', 'all-steps.yaml'));
      await fs.writeFile(
        rb,
        (await fs.readFile(rb, 'utf8'))
          .replace('__PORT__', String(port))
          .replace('__CLOSED_PORT__', String(closedPort)),
      );
      scratch = path.join(work, 'scratch');
      await fs.mkdir(scratch, { mode: 0o755 });
      const runs = path.join(work, 'runs-all');
      try {
        result = await runCli([...fleetRun(fleet, rb, runs), '-e', `dir=${scratch}`, '-e', `hostile=${HOSTILE}`]);
      } finally {
        server.close();
      }
      runDir = onlyRunDir(runs);
      journal = readJournal(runDir);
    });

    const finished = (step: string) => {
      const ev = journal.filter((e) => e.type === 'step.finished' && e.step === step);
      assert.equal(ev.length, HOSTS, `step.finished events for "${step}"`);
      return ev.map((e) => ({ host: e.host as string, ...(e.outcome as StepOutcome) }));
    };
    const hostFile = (host: string, rel: string) => readFileSync(path.join(runDir, 'hosts', host, rel));

    it('exits 0 with every host ok', () => {
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const summary = readSummary(runDir);
      assert.deepEqual(summary.counts, { hosts: HOSTS, ok: HOSTS, failed: 0, unreachable: 0, aborted: 0 });
      assert.deepEqual(
        summary.recap.map((r) => r.state),
        names().map(() => 'ok'),
      );
    });

    it('shell: stdout, stderr and rc of every host are in the run directory', () => {
      for (const h of names()) {
        assert.equal(hostFile(h, '01-collect-shell-output.stdout').toString(), `out ${h} ${h}\n`);
        assert.equal(hostFile(h, '01-collect-shell-output.stderr').toString(), `err ${h}\n`);
        assert.equal(hostFile(h, '02-collect-shell-rc.stdout').toString(), 'partial\n');
      }
      for (const o of finished('shell output')) assert.equal(o.rc, 0);
      for (const o of finished('shell rc')) {
        assert.equal(o.rc, 7);
        assert.equal(o.status, 'ignored');
      }
    });

    it('a hostile param arrives literally and runs nothing', async () => {
      for (const h of names()) assert.equal(hostFile(h, '03-collect-hostile-param.stdout').toString(), `${HOSTILE}\n`);
      assert.equal(pwnedBefore, false, '/tmp/pwned existed before the run: the check below would prove nothing');
      // The hosts share this machine's /tmp; look from a host too, over an independent connection.
      const r = await sshRun(fleet, 'host07', 'test -e /tmp/pwned && echo EXISTS || echo absent');
      assert.equal(r.stdout, 'absent\n');
      assert.equal(existsSync('/tmp/pwned'), false);
    });

    it('script: uploaded, run with literal args, and removed afterwards (also when it failed)', async () => {
      const selfPaths = new Set<string>();
      for (const h of names()) {
        const out = hostFile(h, '04-collect-script-probe.stdout').toString();
        const self = /^self=(\S+)$/m.exec(out)?.[1];
        assert.ok(self && self.startsWith('/tmp/.firebreak-'), out);
        selfPaths.add(self);
        assert.equal(out, `self=${self}\nargc=2\narg=two words\narg=${HOSTILE}\nuser=root\nhost=${h}\n`);
        const failed = hostFile(h, '05-collect-script-failing.stdout').toString();
        selfPaths.add(/^self=(\S+)$/m.exec(failed)?.[1] ?? 'missing');
      }
      for (const o of finished('script failing')) assert.equal(o.rc, 3);
      assert.equal(selfPaths.size, 2 * HOSTS, 'each host and step has its own remote temp file');
      // `plan` prints the path the run used, but for the run id and the random part only a run chooses.
      const plan = await runCli([
        'plan',
        runbook,
        '-i',
        fleet.inventoryPath,
        '--limit',
        'host01',
        '-e',
        `dir=${scratch}`,
        '-e',
        `hostile=${HOSTILE}`,
      ]);
      const planned = /script probe\n\s+\$ upload \S+ -> (\S+)/.exec(plan.stdout)?.[1];
      assert.ok(planned?.startsWith('/tmp/.firebreak-RUNID-RANDOM-collect-'), plan.stdout);
      const used = /^self=(\S+)$/m.exec(hostFile('host01', '04-collect-script-probe.stdout').toString())?.[1];
      assert.equal(
        used?.replace(`-${path.basename(runDir)}-`, '-RUNID-').replace(/-[0-9a-f]{12}-collect-/, '-RANDOM-collect-'),
        planned,
        plan.stdout,
      );
      // Gone on the hosts: ask two of them, over ssh, about every path any host used.
      const paths = [...selfPaths].map((p) => `'${p}'`).join(' ');
      for (const h of ['host01', 'host20']) {
        const r = await sshRun(
          fleet,
          h,
          `for p in ${paths}; do test -e "$p" && echo "LEFT $p"; done; ls -a /tmp | grep -cF '.firebreak-${path.basename(runDir)}-' || true`,
        );
        assert.equal(r.stdout, '0\n', `leftover script files seen from ${h}`);
      }
    });

    it('upload: the file is on every host with its content and mode', async () => {
      const payload = readFileSync(path.join(E2E, 'files', 'payload.txt'));
      for (const h of ['host02', 'host11', 'host19']) {
        const r = await sshRun(
          fleet,
          h,
          `stat -c '%a %U' ${scratch}/up-${h}.txt && sha256sum < ${scratch}/up-${h}.txt`,
        );
        assert.equal(r.stdout, `640 root\n${sha(payload)}  -\n`);
      }
      for (const h of names()) assert.equal(statSync(path.join(scratch, `up-${h}.txt`)).mode & 0o777, 0o640);
    });

    it('fetch: files land in the host directory of the run, byte for byte', async () => {
      for (const h of names()) {
        const local = hostFile(h, 'gen.bin');
        assert.equal(local.length, 3000);
        assert.equal(hostFile(h, path.join(scratch.replace(/^\//, ''), `name-${h}.txt`)).toString(), `${h}\n`);
        if (h === 'host05' || h === 'host16') {
          const r = await sshRun(fleet, h, `sha256sum < ${scratch}/gen-${h}.bin`);
          assert.equal(r.stdout, `${sha(local)}  -\n`);
        }
      }
    });

    it('wait_for: port, command and connection wait; a closed port fails after its timeout', () => {
      for (const o of finished('wait for open port')) assert.equal(o.status, 'ok');
      assert.ok(portHits >= HOSTS, `every host probed the open port (${portHits} connections)`);
      for (const o of finished('wait for closed port')) {
        assert.equal(o.status, 'ignored');
        assert.match(String(o.stderr), /wait_for: port 127\.0\.0\.1:\d+ not ready after 2s/);
        assert.ok(o.durationMs >= 1000, `closed port gave up after ${o.durationMs} ms`);
      }
      // The command succeeds on its third try: the loop really polled.
      for (const h of names()) assert.equal(readFileSync(path.join(scratch, `wf-${h}`), 'utf8'), '3\n');
      for (const o of finished('wait for command')) assert.equal(o.status, 'ok');
      for (const o of finished('wait for connection')) assert.equal(o.status, 'ok');
      for (const h of names())
        assert.equal(hostFile(h, '14-collect-after-reconnect.stdout').toString(), 'still here\n');
    });
  });

  it('register, when, failed_when, ignore_errors and retries', async function () {
    this.timeout(45_000);
    const scratch = path.join(work, 'cond');
    await fs.mkdir(scratch, { mode: 0o755 });
    const runs = path.join(work, 'runs-cond');
    const r = await runCli([
      ...fleetRun(fleet, path.join(E2E, 'runbooks', 'conditions.yaml'), runs),
      '-e',
      `dir=${scratch}`,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const runDir = onlyRunDir(runs);
    const j = readJournal(runDir);
    const of = (type: string, step: string) => j.filter((e) => e.type === type && e.step === step);

    // when: only host03 ran the step, every other host skipped it with the reason.
    assert.deepEqual(
      of('step.finished', 'only on host03').map((e) => e.host),
      ['host03'],
    );
    const skipped = of('step.skipped', 'only on host03');
    assert.deepEqual(
      skipped.map((e) => e.host).sort(),
      names().filter((h) => h !== 'host03'),
    );
    assert.match(String(skipped[0]?.reason), /when is false/);
    assert.equal(
      readFileSync(path.join(runDir, 'hosts/host03/02-collect-only-on-host03.stdout'), 'utf8'),
      'chosen host03\n\n',
    );

    // failed_when turns rc 0 into a failure (ignored), and rc 1 into a success.
    for (const e of of('step.finished', 'degraded is a failure')) {
      const o = e.outcome as StepOutcome;
      assert.equal(o.status, 'ignored');
      assert.match(String(o.message), /failed_when is true/);
    }
    for (const e of of('step.finished', 'rc 1 is fine')) {
      const o = e.outcome as StepOutcome;
      assert.deepEqual([o.status, o.rc], ['ok', 1]);
    }

    // retries: two retry events, then ok on the third attempt.
    assert.equal(of('step.retrying', 'flaky until third try').length, 2 * HOSTS);
    for (const e of of('step.finished', 'flaky until third try')) assert.equal((e.outcome as StepOutcome).attempts, 3);

    // register: later steps see what earlier ones produced.
    for (const h of names()) {
      assert.equal(
        readFileSync(path.join(runDir, `hosts/${h}/06-collect-sees-registered.stdout`), 'utf8'),
        'deg.failed=true deg.rc=0 flaky=try 3\n\n',
      );
    }
    assert.deepEqual(
      readSummary(runDir).recap.map((x) => [x.skipped, x.ignored]),
      names().map((h) => [h === 'host03' ? 0 : 1, 1]),
    );
  });

  it('become: sudo with the password from the environment; the password is in no file and on no command line', async function () {
    this.timeout(45_000);
    const { user, password } = fleet.becomeUser;
    const inventory = path.join(work, 'inventory-fbuser.ini');
    await fs.writeFile(
      inventory,
      (await fs.readFile(fleet.inventoryPath, 'utf8')).replace(/ansible_user=root/g, `ansible_user=${user}`),
    );
    const runs = path.join(work, 'runs-become');
    const cli = startCli(becomeRun(inventory, runs), { env: { FIREBREAK_BECOME_PASS: password } });

    // Watch every process command line on the machine (the hosts' pid namespaces are inside ours)
    // while the sudo step runs. Seeing the sudo processes proves we looked at the right moment.
    let sawSudo = 0;
    const leaks: string[] = [];
    for (let i = 0; i < 60 && cli.child.exitCode === null; i++) {
      for (const line of await localProcessArgs()) {
        if (line.includes(password)) leaks.push(line);
        if (/^sudo .*id -u; sleep 2/.test(line)) sawSudo++;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await cli.done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(sawSudo > 0, 'never saw the sudo processes: the command line check looked at nothing');
    assert.deepEqual(leaks, []);

    const runDir = onlyRunDir(runs);
    for (const h of names()) {
      assert.equal(readFileSync(path.join(runDir, `hosts/${h}/01-collect-as-login-user.stdout`), 'utf8'), `${user}\n`);
      assert.equal(readFileSync(path.join(runDir, `hosts/${h}/02-collect-as-root.stdout`), 'utf8'), '0\n');
    }
    // The acquisition record: the login user on each host, and the user an evidence command ran as.
    const manifest = JSON.parse(readFileSync(path.join(runDir, 'evidence', 'manifest.json'), 'utf8')) as {
      artifacts: { host: string; acquisition?: { become?: string } }[];
      hosts: { host: string; user?: string }[];
    };
    assert.deepEqual(
      manifest.hosts.map((h) => [h.host, h.user]),
      names().map((h) => [h, user]),
    );
    assert.deepEqual(
      manifest.artifacts.map((a) => a.acquisition?.become),
      names().map(() => 'root'),
    );
    const files = await allFiles(runDir);
    assert.ok(
      files.some((f) => f.file.endsWith('journal.jsonl') && f.bytes.includes('id -u; sleep 2')),
      'the scan reads the journal',
    );
    assert.ok(files.length >= 2 * HOSTS + 2, `scanned ${files.length} files`);
    assert.deepEqual(
      files.filter((f) => f.bytes.includes(password)).map((f) => f.file),
      [],
    );
    assert.equal((r.stdout + r.stderr).includes(password), false, 'password in the CLI output');
  });

  it('become: the inventory’s ansible_become_pass / ansible_become_password is that host’s sudo password, beats the environment’s, and is in no file', async function () {
    this.timeout(45_000);
    const { user, password } = fleet.becomeUser;
    // host01 and host02 carry the right password in the inventory (one under each name); host03
    // has none and gets the run-wide one from the environment, which is wrong.
    const perHost: Record<string, string> = {
      host01: ` ansible_become_pass=${password}`,
      host02: ` ansible_become_password=${password}`,
    };
    const inventory = path.join(work, 'inventory-become-vars.ini');
    await fs.writeFile(
      inventory,
      (await fs.readFile(fleet.inventoryPath, 'utf8'))
        .replace(/ansible_user=root/g, `ansible_user=${user}`)
        .replace(/^(host0[12]) .*$/gm, (line, h: string) => line + perHost[h]),
    );
    const runs = path.join(work, 'runs-become-vars');
    const r = await runCli(becomeRun(inventory, runs, '--limit', 'host01,host02,host03'), {
      env: { FIREBREAK_BECOME_PASS: 'not-the-sudo-password' },
    });
    const runDir = onlyRunDir(runs);
    assert.deepEqual(
      readSummary(runDir).recap.map((h) => [h.host, h.state]),
      [
        ['host01', 'ok'],
        ['host02', 'ok'],
        ['host03', 'failed'],
      ],
      r.stdout + r.stderr,
    );
    for (const h of ['host01', 'host02'])
      assert.equal(readFileSync(path.join(runDir, `hosts/${h}/02-collect-as-root.stdout`), 'utf8'), '0\n');
    const files = await allFiles(runDir);
    assert.ok(
      files.some((f) => f.file.endsWith('journal.jsonl')),
      'the scan reads the journal',
    );
    assert.deepEqual(
      files.filter((f) => f.bytes.includes(password)).map((f) => f.file),
      [],
    );
    assert.equal((r.stdout + r.stderr).includes(password), false, 'password in the CLI output');
  });
});
