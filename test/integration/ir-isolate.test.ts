/**
 * isolate / unisolate on the drill lab, through the real CLI: the isolated host reaches nothing but
 * its management channel (checked with an independent OpenSSH client and from other lab hosts),
 * unisolate puts back exactly the rules from before (also when they were changed meanwhile), a wrong
 * management address rolls itself back within the dead-man window, and outbound-ssh mode (iptables
 * backend) drops only outbound TCP/22. Destructive: lab hosts only.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Finding } from '../../src/core/index.js';
import { labUp, type LabState } from '../../src/lab/index.js';
import { isRoot, labTempDir, onHost, removeLab, verdictOn } from '../helpers/lab.js';
import { firewallOf, reaches, runStep, sshWorks } from './lab-net.js';
import { REPO, runCli, until } from './run-cli.js';

describe('isolate / unisolate on the drill lab', function () {
  this.timeout(90_000);
  let lab: LabState | undefined;
  let dir = '';
  let work = '';
  let n002v6 = '';
  const addr = (name: string) => lab!.hosts.find((h) => h.name === name)!.address;

  /** Run one step on n001 (`become`: sudo drops $SSH_CONNECTION, so the management channel comes from `ss`). */
  const run = (step: string, params: object, extra: string[] = [], become = false) =>
    runStep(lab!, work, 'n001', step, params, { extra, become });
  /** What resume's verify says about the step on n001. */
  const verdict = (step: string, params: object) => verdictOn(lab!, 'n001', step, params);

  before(async function () {
    if (!isRoot) return this.skip();
    dir = labTempDir('isolate');
    work = path.dirname(dir);
    lab = await labUp({ dir, hosts: 3, scenarios: [] });
    // Rules already in place on n001 (iptables-nft, a conntrack match among them, and native nft), which
    // unisolate must give back as they were.
    const pre = await onHost(
      lab,
      'n001',
      "iptables -A INPUT -p tcp --dport 9998 -j DROP && iptables -A OUTPUT -m conntrack --ctstate INVALID -j DROP && nft add table inet site && nft 'add chain inet site input { type filter hook input priority 0; policy accept; }' && nft add rule inet site input tcp dport 9999 counter drop",
    );
    assert.equal(pre.code, 0, pre.stderr);
    // Something on n002 that is not SSH (outbound-ssh mode), and something on IPv6 (link-local: the lab's only IPv6).
    await onHost(lab, 'n002', `setsid python3 -m http.server 8080 --bind ${addr('n002')} </dev/null >/dev/null 2>&1 &`);
    await onHost(lab, 'n002', 'setsid python3 -m http.server 8081 --bind :: </dev/null >/dev/null 2>&1 &');
    const ll = await onHost(
      lab,
      'n002',
      'ip -6 -o addr show dev eth0 scope link | awk \'{sub(/\\/.*/, "", $4); print $4}\'',
    );
    n002v6 = `${ll.stdout.trim()}%eth0`;
    await until(() => reaches(lab!, 'n003', addr('n002'), 8080), 10_000, 'the test listener on n002');
    await until(() => reaches(lab!, 'n001', n002v6, 8081), 10_000, 'the IPv6 test listener on n002');
  });

  after(async () => {
    await removeLab(lab, dir);
  });

  it('cuts everything but management, and unisolate puts back exactly the rules from before', async () => {
    const before = await firewallOf(lab!, 'n001');
    // The attack the snapshot must keep: short connections to port 22 (closed at once; the stateful
    // rule above makes the kernel track them) and one held open by a program that is no SSH client.
    const attack = await onHost(
      lab!,
      'n001',
      `set -e; for a in ${addr('n002')} ${addr('n003')}; do (exec 3<>/dev/tcp/$a/22; read -r -t 3 banner <&3); done; ` +
        `setsid -f perl -MIO::Socket::INET -e 'my $c = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => 22) or die; sleep 60' ${addr('n003')} </dev/null >/dev/null 2>&1; ` +
        `for i in $(seq 50); do ss -Htn state established dst ${addr('n003')}:22 | grep -q . && exit 0; sleep 0.1; done; exit 1`,
    );
    assert.equal(attack.code, 0, attack.stderr);
    const params = { verify_target: lab!.network.attacker, deadman_seconds: 30 };
    assert.match(await verdict('isolate', params), /^absent: not isolated: no state in /);
    assert.match(await verdict('unisolate', {}), /^done: no isolation state/);
    const r = await run('isolate', params, [], true);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      await verdict('isolate', params),
      /^done: isolated, disarmed at .*; rules loaded: nft table inet firebreak_isolate$/,
    );
    assert.match(await verdict('unisolate', {}), /^absent: still isolated/);
    assert.match(
      r.out,
      new RegExp(
        `keeping management ${lab!.network.controller.replace(/\./g, '\\.')} -> port 22 and the live connection from ${lab!.network.controller.replace(/\./g, '\\.')}:\\d+`,
      ),
    );
    assert.match(r.out, /dead-man disarmed/);
    assert.match(r.out, /verify: a TCP connection from the host to [\d.]+:22 fails/);
    const labels = r.journal
      .filter((e) => e.type === 'evidence.stored')
      .map((e) => (e.artifact as { label: string }).label);
    // Volatile first: the live sockets and the flow table are stored before the rules in place are even saved.
    assert.deepEqual(labels, [
      'isolate/default/sockets',
      'isolate/default/addresses',
      'isolate/default/conntrack-table',
      'isolate/default/iptables-save',
      'isolate/default/ip6tables-save',
      'isolate/default/nft-ruleset',
    ]);

    // ...and read: the connections it cut are findings, the closed ones from the flow table.
    const outbound = r.journal
      .filter((e) => e.type === 'finding' && (e.finding as Finding).kind === 'network.outbound_ssh')
      .map((e) => e.finding as Finding);
    const flows = outbound.find((f) => f.detail.source === 'conntrack');
    assert.deepEqual([...((flows?.detail.targets as string[]) ?? [])].sort(), [addr('n002'), addr('n003')].sort());
    assert.ok(
      outbound.some((f) => f.detail.name === 'perl' && (f.detail.targets as string[]).includes(addr('n003'))),
      JSON.stringify(outbound),
    );

    // Independent probes, side by side: each blocked one waits out its 2 s connect timeout.
    const seen = await Promise.all([
      reaches(lab!, 'n001', addr('n002'), 22),
      reaches(lab!, 'n001', n002v6, 8081),
      reaches(lab!, 'n002', addr('n001'), 22),
      reaches(lab!, 'n003', addr('n002'), 22),
      sshWorks(lab!, 'n001'),
    ]);
    assert.equal(seen[0], false, 'n001 cannot reach another lab host');
    assert.equal(seen[1], false, 'nor over IPv6');
    assert.equal(seen[2], false, 'another lab host cannot reach n001');
    assert.equal(seen[3], true, 'the rest of the lab is untouched');
    assert.equal(seen[4], true, 'a fresh management login still works');
    // `[d]eadman`: the pattern must not match the shell running pgrep, whose argv holds it.
    const state = await onHost(
      lab!,
      'n001',
      "cat /var/lib/firebreak/isolate/default/decided/by; stat -c %a /var/lib/firebreak/isolate/default; pgrep -f '[d]eadman.pid' || echo no-timer",
    );
    assert.match(state.stdout, /^disarmed at .*\n700\nno-timer\n$/);

    // A change made while isolated (an intruder's table) is undone too: exact means exact.
    await onHost(lab!, 'n001', 'nft add table inet intruder');
    const u = await run('unisolate', {});
    assert.equal(u.code, 0, u.stdout + u.stderr);
    assert.equal(await firewallOf(lab!, 'n001'), before);
    assert.equal(await reaches(lab!, 'n002', addr('n001'), 22), true, 'n001 is reachable again');
    assert.equal(await reaches(lab!, 'n001', addr('n002'), 22), true, 'n001 reaches others again');
    assert.equal(await reaches(lab!, 'n001', n002v6, 8081), true, 'also over IPv6');
    assert.equal((await onHost(lab!, 'n001', 'ls /var/lib/firebreak/isolate/')).stdout, '', 'state removed');
    assert.match(await verdict('unisolate', {}), /^done: no isolation state/);
    assert.match(await verdict('isolate', params), /^absent: not isolated/);
  });

  it('a wrong management address fails the step and the host rolls itself back within the dead-man window', async () => {
    const before = await firewallOf(lab!, 'n001');
    const started = Date.now();
    const params = { management: { address: lab!.network.attacker }, deadman_seconds: 5 };
    const r = await run('isolate', params, ['--connect-timeout', '3']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    // As a resume right after the crash would find it: the timer still pending, or (a slow machine) fired.
    assert.match(
      await verdict('isolate', params),
      /^wait: \d+ s: the isolation was applied but never confirmed .* puts the previous state back at \S+Z; resume after that|^absent: the dead-man timer fired/,
    );
    assert.match(r.out, /dead-man armed: .* puts its previous state back .* \(5 s\)/);
    const failed = r.journal.find((e) => e.type === 'host.failed');
    assert.match(
      String(failed?.message),
      /a fresh SSH connection failed.*puts its previous rules back by itself within 5 s|dead-man timer fired at .* the isolation is NOT in place/,
    );
    await until(async () => (await firewallOf(lab!, 'n001')) === before, 15_000, 'the rules from before to come back');
    assert.equal(await sshWorks(lab!, 'n001'), true, 'management works again');
    assert.ok(Date.now() - started < 30_000);
    const state = await onHost(
      lab!,
      'n001',
      'cat /var/lib/firebreak/isolate/default/decided/by; ls /var/lib/firebreak/isolate/default/active 2>&1',
    );
    assert.match(state.stdout, /^fired at /);
    assert.match(state.stdout + state.stderr, /No such file/);
    // The dead-man timer rolled back while nobody watched: resume redoes the isolation.
    assert.match(
      await verdict('isolate', params),
      /^absent: the dead-man timer fired at \S+ .*the isolation runs again$/,
    );
  });

  it('outbound-ssh mode (iptables backend) drops only outbound TCP/22', async () => {
    const before = await firewallOf(lab!, 'n001');
    const params = {
      mode: 'outbound-ssh',
      backend: 'iptables',
      verify_target: addr('n002'),
      allow: [{ to: addr('n003') }],
      deadman_seconds: 30,
    };
    const r = await run('isolate', params);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      await verdict('isolate', params),
      /^done: isolated, .*rules loaded: iptables chains firebreak_isolate_\*/,
    );
    assert.match(r.out, /backend iptables/);
    const seen = await Promise.all([
      reaches(lab!, 'n001', addr('n002'), 22),
      reaches(lab!, 'n001', addr('n002'), 8080),
      reaches(lab!, 'n001', addr('n003'), 22),
      reaches(lab!, 'n002', addr('n001'), 22),
      sshWorks(lab!, 'n001'),
    ]);
    assert.equal(seen[0], false, 'outbound :22 is dropped');
    assert.equal(seen[1], true, 'other outbound traffic passes');
    assert.equal(seen[2], true, 'the allow-list passes');
    assert.equal(seen[3], true, 'inbound SSH is untouched');
    assert.equal(seen[4], true);
    const u = await run('unisolate', {});
    assert.equal(u.code, 0, u.stdout + u.stderr);
    assert.equal(await firewallOf(lab!, 'n001'), before);
    assert.match(await verdict('unisolate', {}), /^done: /);
  });

  it('the shipped example runbook validates with firebreak plan on the lab inventory', async () => {
    const r = await runCli([
      'plan',
      path.join(REPO, 'runbooks/examples/isolate.yaml'),
      '-i',
      lab!.files.inventory,
      '-e',
      `verify_target=${lab!.network.attacker}`,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const h of lab!.hosts) assert.ok(r.stdout.includes(h.name));
    assert.match(r.stdout, /firebreak_isolate/);
    assert.match(r.stdout, /open a fresh SSH connection/);
    assert.ok(existsSync(path.join(REPO, 'runbooks/examples/isolate.yaml')));
  });
});
