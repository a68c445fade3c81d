/**
 * The responding steps on the drill lab, through the real CLI: lock_user throws a live attacker
 * session out and the account can no longer log in, but the responder's own account and root are
 * refused; kill_process preserves deleted binaries (their SHA-256 in the evidence store equals the
 * originals') and kills them; backup → rebuild → restore gives back the same contents, owners and
 * modes; a tampered archive is refused before anything is extracted.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { labDown, labUp, readLabState, type LabHostState, type LabState } from '../../src/lab/index.js';
import { isRoot, labLeftovers, labTempDir, onHost, verdictOn } from '../helpers/lab.js';
import { onlyRunDir, readJournal, runCli, until, type JournalEvent, FIREBREAK_BIN } from './run-cli.js';

interface Artifact {
  label: string;
  sha256: string;
  sha256AtSource: string | null;
  match: boolean | null;
  rc: number | null;
}

const SCENARIO = 'outbound-ssh-bruteforce';

describe('responding steps on the drill lab: lock_user, kill_process, backup, restore', function () {
  this.timeout(180_000);
  let state: LabState | undefined;
  let dir = '';
  let work = '';
  let runs = 0;

  before(async function () {
    if (!isRoot) return this.skip();
    dir = labTempDir('respond');
    work = path.dirname(dir);
    state = await labUp({ dir, hosts: 2, scenarios: [{ name: SCENARIO, count: 1 }] });
  });

  after(async () => {
    try {
      if (!state) return;
      await labDown(dir).catch(() => undefined);
      // The kernel removes a dead namespace's veth links asynchronously: give it a moment.
      await until(() => labLeftovers(state!).length === 0, 5000, 'the lab to be gone').catch(() => undefined);
      assert.deepEqual(labLeftovers(state), []);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  const attacked = (): LabHostState => state!.hosts.find((h) => h.scenarios.some((s) => s.scenario === SCENARIO))!;
  const clean = (): LabHostState => state!.hosts.find((h) => h.scenarios.length === 0)!;

  /** Run a runbook (YAML text) with the real CLI; returns the result, its run directory and journal. */
  async function run(yaml: string, args: string[], inventory = state!.files.inventory) {
    const n = ++runs;
    const runbook = path.join(work, `runbook-${n}.yaml`);
    writeFileSync(runbook, yaml);
    const runsDir = path.join(work, `runs-${n}`);
    const r = await runCli(['run', runbook, '-i', inventory, '--runs-dir', runsDir, ...args], { timeoutMs: 120_000 });
    const runDir = onlyRunDir(runsDir);
    const journal = readJournal(runDir);
    // Why steps failed: the journal has each failure's message with the stderr that explains it.
    const failures = journal
      .filter((e) => e.type === 'step.finished' && (e.outcome as { status: string }).status === 'failed')
      .map((e) => JSON.stringify(e.outcome));
    return { r, runDir, journal, out: [r.stdout, r.stderr, ...failures].join('\n') };
  }

  const artifacts = (journal: JournalEvent[]): Artifact[] =>
    journal.filter((e) => e.type === 'evidence.stored').map((e) => e.artifact as Artifact);
  const object = (runDir: string, sha: string): string =>
    path.join(runDir, 'evidence', 'objects', sha.slice(0, 2), sha);
  const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
  const sh = async (host: LabHostState, script: string): Promise<string> => {
    const r = await onHost(state!, host.name, script);
    assert.equal(r.code, 0, `${host.name}: ${script}\n${r.stdout}${r.stderr}`);
    return r.stdout.trim();
  };

  /** A fresh login from the controller with the system ssh client; resolves with its exit code. */
  function login(host: LabHostState, user: string, key: string): Promise<number> {
    const args = [
      '-F',
      '/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'IdentityAgent=none',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      `UserKnownHostsFile=${state!.files.knownHosts}`,
      '-o',
      'ConnectTimeout=5',
      '-i',
      key,
      `${user}@${host.address}`,
      'true',
    ];
    return new Promise((resolve) =>
      execFile('ssh', args, { timeout: 15_000 }, (err) =>
        resolve(err ? (typeof err.code === 'number' ? err.code : -1) : 0),
      ),
    );
  }

  it('lock_user ends the attacker session of the backdoor user, who can no longer log in; kill_process keeps the deleted dropper', async () => {
    const host = attacked();
    const facts = host.scenarios.find((s) => s.scenario === SCENARIO)!.facts;
    const sessions = (await sh(host, "pgrep -f '^sshd: sysupdate' || true")).split('\n').filter(Boolean);
    assert.ok(
      sessions.length >= 2,
      `the attacker session is live (sshd: sysupdate [priv] and @pts): ${sessions.join(' ')}`,
    );
    assert.equal(
      await login(host, 'sysupdate', state!.files.attackerKey),
      0,
      'before: the attacker key logs in as sysupdate',
    );
    // What resume's verify says, for the same targets (explicit here; from: resolves to them).
    const verdict = (type: string, params: object) => verdictOn(state!, host.name, type, params);
    const lockParams = { users: ['sysupdate'] };
    const killParams = { pids: [Number(facts.dropper_pid)] };
    assert.match(await verdict('lock_user', lockParams), /^absent: sysupdate: the password is not locked/);
    assert.match(
      await verdict('kill_process', killParams),
      new RegExp(`^absent: still running: ${facts.dropper_pid};`),
    );

    const yaml = `name: respond
phases:
  collect:
    - name: triage
      collect: {sets: [processes, users, persistence]}
      register: c
    - name: lock the backdoor users
      lock_user: {from: c}
    - name: stop the dropper
      kill_process: {from: c}
`;
    const planFile = path.join(work, 'plan.yaml');
    writeFileSync(planFile, yaml);
    const plan = await runCli(['plan', planFile, '-i', state!.files.inventory, '--limit', host.name]);
    assert.equal(plan.code, 0, plan.stdout + plan.stderr);
    assert.match(
      plan.stdout,
      /<registered:c\.findings>/,
      'firebreak plan shows where the users and PIDs will come from',
    );
    const { r, runDir, journal, out } = await run(yaml, ['--limit', host.name]);
    assert.equal(r.code, 0, out);
    // root's authorized_keys holds the attacker key too, but that finding is low severity: lock_user
    // acts on medium or worse (min_severity), and root is never locked anyway.
    assert.equal(
      await sh(host, 'getent shadow root | cut -d: -f8'),
      '',
      'root is not expired (lock_user expires what it locks)',
    );

    assert.match(await sh(host, 'passwd -S sysupdate'), /^sysupdate L /);
    assert.equal(await sh(host, 'getent shadow sysupdate | cut -d: -f8'), '0', 'expired');
    assert.equal(
      await sh(host, 'ps -eo user:32=,args= | awk \'$1 == "sysupdate" || /[s]shd: sysupdate/\''),
      '',
      'no process or session of sysupdate is left',
    );
    assert.notEqual(
      await login(host, 'sysupdate', state!.files.attackerKey),
      0,
      'after: the same key no longer logs in',
    );

    const arts = artifacts(journal);
    const record = arts.find((a) => a.label === 'lock_user/record');
    assert.ok(record?.match, 'the lock record is stored and verified');
    const text = readFileSync(object(runDir, record.sha256), 'utf8');
    assert.match(text, /\+ passwd -l sysupdate/);
    assert.match(text, /\+ chage -E 0 sysupdate/);
    const killed = /killed PIDs:(.*)/.exec(text)?.[1]?.trim().split(/\s+/) ?? [];
    for (const pid of sessions)
      assert.ok(killed.includes(pid), `sshd session PID ${pid} is in the killed list (${killed.join(' ')})`);

    const exe = arts.find((a) => a.label === `kill_process/${facts.dropper_pid}/exe`);
    assert.ok(exe, `the dropper binary was preserved: ${arts.map((a) => a.label).join(', ')}`);
    assert.equal(exe.sha256, facts.dropper_sha256, 'the preserved binary is the planted dropper');
    assert.equal(exe.sha256AtSource, facts.dropper_sha256);
    assert.equal(
      sha256(readFileSync(object(runDir, exe.sha256))),
      facts.dropper_sha256,
      'the object in the store has that hash',
    );
    assert.equal(await sh(host, `[ -d /proc/${facts.dropper_pid} ] && echo alive || echo gone`), 'gone');
    assert.equal(await verdict('lock_user', lockParams), 'done: locked, expired, no process left: sysupdate');
    assert.match(await verdict('kill_process', killParams), /^done: none of PIDs \d+ runs any more/);
  });

  it("lock_user refuses the responder's own account (via sudo) and root, changing nothing", async () => {
    const host = clean();
    await sh(
      host,
      `useradd -m -s /bin/bash responder && install -d -m 700 -o responder -g responder /home/responder/.ssh
      head -n 1 /root/.ssh/authorized_keys > /home/responder/.ssh/authorized_keys && chown responder: /home/responder/.ssh/authorized_keys
      echo 'responder ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/responder && useradd -m victim && printf 'victim:Vict1m-pw\\nresponder:Resp0nder-pw\\n' | chpasswd`,
    );
    const inventory = path.join(work, 'responder.ini');
    writeFileSync(
      inventory,
      readFileSync(state!.files.inventory, 'utf8').replace('ansible_user=root', 'ansible_user=responder'),
    );

    const asResponder = await run(
      `name: lock-self\nphases:\n  collect:\n    - lock_user: {users: [victim, responder]}\n      become: true\n`,
      ['--limit', host.name],
      inventory,
    );
    assert.equal(asResponder.r.code, 3, asResponder.out);
    assert.match(asResponder.out, /refusing to lock responder: it is the account this responder session logged in as/);
    const asRoot = await run(`name: lock-root\nphases:\n  collect:\n    - lock_user: {users: [victim, root]}\n`, [
      '--limit',
      host.name,
    ]);
    assert.equal(asRoot.r.code, 3, asRoot.out);
    assert.match(asRoot.out, /refusing to lock root/);
    assert.match(
      await sh(host, 'passwd -S victim; passwd -S responder'),
      /^victim P .*\nresponder P /,
      'nothing was locked',
    );
    assert.equal(await sh(host, 'getent shadow victim | cut -d: -f8'), '', 'nothing was expired');

    const ok = await run(
      `name: lock-victim\nphases:\n  collect:\n    - lock_user: victim\n      become: true\n`,
      ['--limit', host.name],
      inventory,
    );
    assert.equal(ok.r.code, 0, ok.out);
    assert.match(ok.out, /responder session: responder/);
    assert.match(await sh(host, 'passwd -S victim'), /^victim L /, 'another user is locked from the same sudo session');
  });

  /** Start a copy of /bin/sleep as `/tmp/NAME 3600` on the host and delete the file: its PID and SHA-256. */
  async function deletedProcess(host: LabHostState, name: string, seed: string): Promise<{ pid: string; sha: string }> {
    // A few appended bytes give each copy its own SHA-256 (a copy of /bin/sleep alone would hash like /bin/sleep).
    const [pid, sha] = (
      await sh(
        host,
        `cp /bin/sleep /tmp/${name} && echo ${seed} >> /tmp/${name} && setsid -f /tmp/${name} 3600 </dev/null >/dev/null 2>&1
      for i in $(seq 50); do p=$(pgrep -xf '/tmp/${name} 3600') && break; sleep 0.1; done
      h=$(sha256sum /tmp/${name} | cut -c1-64); rm /tmp/${name}; echo "$p $h"`,
      )
    ).split(' ');
    assert.match(pid!, /^\d+$/);
    assert.equal(await sh(host, `readlink /proc/${pid}/exe`), `/tmp/${name} (deleted)`);
    return { pid: pid!, sha: sha! };
  }

  it('kill_process preserves running binaries deleted from /tmp (by PID and by name), kills them, and reports a PID that is gone', async () => {
    const host = clean();
    const byPid = await deletedProcess(host, 'x-evil', 'one');
    const byName = await deletedProcess(host, 'y-evil', 'two');
    assert.notEqual(byPid.sha, byName.sha);

    const yaml = `name: kill\nphases:\n  collect:\n    - kill_process: {pids: [${byPid.pid}, 4000000]}\n    - kill_process: {name: '^/tmp/y-evil 3600$'}\n`;
    const both = { pids: [Number(byPid.pid), 4000000], name: '^/tmp/y-evil 3600$' };
    assert.equal(
      await verdictOn(state!, host.name, 'kill_process', both),
      `absent: still running: ${byPid.pid} ${byName.pid}; kill_process runs again`,
    );
    const { r, runDir, journal, out } = await run(yaml, ['--limit', host.name]);
    assert.equal(r.code, 0, out);
    assert.match(out, /PID 4000000: not running \(gone already\): nothing to do/);
    const arts = artifacts(journal);
    const exe = arts.find((a) => a.label === `kill_process/${byPid.pid}/exe`)!;
    assert.equal(exe.sha256, byPid.sha, 'the preserved binary has the SHA-256 of the original file');
    assert.equal(exe.match, true);
    assert.equal(sha256(readFileSync(object(runDir, exe.sha256))), byPid.sha);
    const proc = readFileSync(
      object(runDir, arts.find((a) => a.label === `kill_process/${byPid.pid}/proc`)!.sha256),
      'utf8',
    );
    assert.match(proc, /== exe\n\/tmp\/x-evil \(deleted\)\n/);
    assert.match(proc, /State:\tT \(stopped\)/, 'preserved while stopped');

    // By name: one tar artifact, per PID the binary and its /proc details, and the host's SHA256SUMS.
    const tar = arts.find((a) => a.label === 'kill_process/name-matches.tar')!;
    assert.equal(tar.match, true);
    const unpacked = path.join(work, 'name-matches');
    await new Promise<void>((resolve, reject) =>
      execFile('sh', ['-c', 'mkdir -p "$1" && tar -xf "$2" -C "$1"', '_', unpacked, object(runDir, tar.sha256)], (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    assert.equal(readFileSync(path.join(unpacked, 'SHA256SUMS'), 'utf8'), `${byName.sha}  ${byName.pid}/exe\n`);
    assert.equal(sha256(readFileSync(path.join(unpacked, byName.pid, 'exe'))), byName.sha);
    assert.match(readFileSync(path.join(unpacked, byName.pid, 'proc.txt'), 'utf8'), /\/tmp\/y-evil \(deleted\)/);

    for (const p of [byPid.pid, byName.pid])
      assert.equal(await sh(host, `[ -d /proc/${p} ] && echo alive || echo gone`), 'gone', `PID ${p}`);
    assert.match(
      await verdictOn(state!, host.name, 'kill_process', both),
      /^done: none of PIDs \d+ 4000000, what matches the pattern runs any more/,
    );
  });

  /** Entries under a directory: type, mode, uid, gid, size, link target, path; and file hashes. */
  const snapshot = (host: LabHostState, d: string) =>
    sh(
      host,
      `cd ${d} && find . -printf '%y %#m %U %G %s %l %p\\n' | sort -k7 && find . -type f -exec sha256sum {} + | sort -k2`,
    );

  it('backup, rebuild (lab reset), restore: the same contents, owners and modes; health checks pass', async () => {
    const host = clean();
    await sh(
      host,
      `useradd -u 1500 app && mkdir -p /srv/data/sub /srv/data/private /srv/data/cache
      echo root-file > /srv/data/a && chmod 644 /srv/data/a
      echo app-file > /srv/data/sub/b && chown 1500:1500 /srv/data/sub/b && chmod 640 /srv/data/sub/b
      chown 1500:1500 /srv/data/private && chmod 700 /srv/data/private && head -c 100000 /dev/urandom > /srv/data/private/key && chown 1500:1500 /srv/data/private/key && chmod 600 /srv/data/private/key
      printf '#!/bin/sh\\n' > /srv/data/run && chown 0:1500 /srv/data/run && chmod 2750 /srv/data/run && chmod 711 /srv/data/sub
      ln -s a /srv/data/link && echo junk > /srv/data/cache/tmp`,
    );
    const before = (await snapshot(host, '/srv/data'))
      .split('\n')
      .filter((l) => !l.includes('./cache'))
      .join('\n');

    // Known hosts the rebuild step may rewrite (lab reset gives the host a new key), as in ir-rebuild.
    const knownHosts = path.join(work, 'restore_known_hosts');
    writeFileSync(knownHosts, readFileSync(state!.files.knownHosts));
    const inventory = path.join(work, 'restore.ini');
    writeFileSync(inventory, readFileSync(state!.files.inventory, 'utf8').replace(state!.files.knownHosts, knownHosts));
    const hook = `${process.execPath} ${FIREBREAK_BIN} lab reset {{inventory_hostname}} --dir ${dir}`;
    const yaml = `name: backup-restore
phases:
  collect:
    - name: back up data
      backup: {paths: [/srv/data], exclude: [/srv/data/cache], name: data}
      register: saved
  rebuild:
    - rebuild: {hook: ${JSON.stringify(hook)}, wait_timeout: 60, delay: 1}
  restore:
    - name: put the data back
      restore:
        from: saved
        health:
          - port: 22
          - command: test -x /srv/data/run
`;
    const { r, journal, out } = await run(yaml, ['--limit', host.name], inventory);
    assert.equal(r.code, 0, out);
    state = readLabState(dir);
    const fresh = clean();
    assert.equal(fresh.generation, 1, 'the host was reinstalled in between');
    assert.match(out, /archive verified on the host/);
    assert.match(out, /contents, modes, owners and mtimes on disk match the archive/);
    assert.match(out, /health ok: TCP port 22/);
    assert.deepEqual(
      artifacts(journal)
        .map((a) => a.label)
        .filter((l) => l.startsWith('backup/')),
      ['backup/data.tar.gz', 'backup/data.manifest'],
    );

    assert.equal(
      await sh(fresh, 'id app 2>&1 || true'),
      'id: ‘app’: no such user',
      'the reinstalled host does not have the user: owners are restored by number',
    );
    assert.equal(await snapshot(fresh, '/srv/data'), before);
    assert.equal(
      await sh(fresh, 'ls -A /tmp /dev/shm | grep firebreak || true'),
      '',
      'the uploaded archive and tar status files are removed',
    );
  });

  it('restore refuses a tampered archive before extracting anything', async () => {
    const host = clean();
    await sh(host, 'mkdir -p /srv/t && echo precious > /srv/t/file');
    const saved = await run(`name: save\nphases:\n  collect:\n    - backup: {paths: [/srv/t], name: t}\n`, [
      '--limit',
      host.name,
    ]);
    assert.equal(saved.r.code, 0, saved.out);
    const archive = artifacts(saved.journal).find((a) => a.label === 'backup/t.tar.gz')!;
    await sh(host, 'rm -rf /srv/t');

    const file = object(saved.runDir, archive.sha256);
    chmodSync(file, 0o600);
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);

    const restore = `name: restore\nphases:\n  restore:\n    - restore: {artifact: ${archive.sha256}, run_dir: ${JSON.stringify(saved.runDir)}}\n`;
    const refused = await run(restore, ['--limit', host.name]);
    assert.equal(refused.r.code, 3, refused.out);
    assert.match(
      refused.out,
      new RegExp(`refused: the uploaded archive has SHA-256 ${sha256(bytes)}, not ${archive.sha256}`),
    );
    assert.equal(await sh(host, '[ -e /srv/t ] && echo restored || echo absent'), 'absent', 'nothing was extracted');
    assert.equal(
      await sh(host, 'ls -A /tmp | grep firebreak || true'),
      '',
      'the refused archive was removed from the host',
    );

    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const restored = await run(restore, ['--limit', host.name]);
    assert.equal(restored.r.code, 0, restored.out);
    assert.equal(await sh(host, 'cat /srv/t/file'), 'precious', 'the same archive, untampered, restores');
  });
});
