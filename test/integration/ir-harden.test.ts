/**
 * harden on the drill lab, through the real CLI: sshd moves to another port under the dead-man
 * (old port closed only after a fresh connection and the new port are confirmed), outbound TCP/22
 * is blocked, a config `sshd -t` refuses changes nothing, and a config that locks the responder out
 * (AllowUsers, written as a drop-in) is rolled back by the host itself. Lab hosts only.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { labUp, type LabState } from '../../src/lab/index.js';
import { isRoot, labTempDir, onHost, removeLab, verdictOn } from '../helpers/lab.js';
import { reaches, runStep, sshWorks } from './lab-net.js';
import { until } from './run-cli.js';

describe('harden on the drill lab', function () {
  this.timeout(90_000);
  let lab: LabState | undefined;
  let dir = '';
  let work = '';
  const addr = (name: string) => lab!.hosts.find((h) => h.name === name)!.address;
  /** sshd_config's hash and mtime, and the ports sshd listens on. */
  const sshdState = async (host: string) =>
    (
      await onHost(
        lab!,
        host,
        "sha256sum /etc/ssh/sshd_config; stat -c %Y /etc/ssh/sshd_config; ss -tlnH | awk '{print $4}' | sort",
      )
    ).stdout;

  const run = (host: string, params: object) => runStep(lab!, work, host, 'harden', params);

  before(async function () {
    if (!isRoot) return this.skip();
    dir = labTempDir('harden');
    work = path.dirname(dir);
    lab = await labUp({ dir, hosts: 2, scenarios: [] });
  });

  after(async () => {
    await removeLab(lab, dir);
  });

  it('moves sshd to another port, key-only, blocks outbound TCP/22; says why nf_conntrack_max stays', async () => {
    const params = {
      ssh_port: 2222,
      key_only: true,
      block_outbound_ssh: true,
      conntrack_max: 524288,
      notrack: [{ port: 8080 }],
      deadman_seconds: 30,
    };
    assert.match(await verdictOn(lab!, 'n001', 'harden', params), /^absent: no hardening in force: /);
    const r = await run('n001', params);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      await verdictOn(lab!, 'n001', 'harden', params),
      /^done: hardened, disarmed at \S+; sshd block in \/etc\/ssh\/sshd_config, ports 2222; rules loaded: nft table inet firebreak_harden$/,
    );
    // Other settings under the same id are not this step's hardening.
    assert.match(
      await verdictOn(lab!, 'n001', 'harden', { ...params, key_only: false }),
      /^unknown: the hardening was confirmed .* is not the one these params write/,
    );
    assert.match(r.out, /sshd: reloaded, listening on 22 +2222/);
    assert.match(r.out, /answers with an SSH banner from the controller/);
    assert.match(r.out, /dead-man disarmed/);
    assert.match(r.out, /sshd: listening on 2222 only/);
    assert.match(r.out, /WARNING: nf_conntrack_max could not be raised/);
    // Independent probes, side by side (a dropped connection waits out its connect timeout).
    const seen = await Promise.all([
      sshWorks(lab!, 'n001', 2222),
      sshWorks(lab!, 'n001', 22),
      reaches(lab!, 'n001', addr('n002'), 22),
      reaches(lab!, 'n002', addr('n001'), 2222),
    ]);
    assert.equal(seen[0], true, 'a fresh login on the new port works');
    assert.equal(seen[1], false, 'the old port is closed');
    assert.equal(seen[2], false, 'outbound TCP/22 is dropped');
    assert.equal(seen[3], true, 'inbound SSH on the new port is open');
    const host = await onHost(
      lab!,
      'n001',
      "head -1 /etc/ssh/sshd_config; sshd -T | grep -E '^(passwordauthentication|kbdinteractiveauthentication) '; nft list table inet firebreak_harden | grep -c notrack; pgrep -f '[d]eadman.pid' || echo no-timer",
    );
    assert.match(
      host.stdout,
      /^# BEGIN firebreak harden.*\npasswordauthentication no\nkbdinteractiveauthentication no\n2\nno-timer\n$/,
    );
  });

  it('a configuration sshd -t refuses changes nothing', async () => {
    const before = await sshdState('n002');
    const params = { ssh_port: 2200, sshd_options: { NoSuchOption: 'yes' } };
    const r = await run('n002', params);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(await verdictOn(lab!, 'n002', 'harden', params), /^absent: no hardening in force/);
    const failed = r.journal.find((e) => e.type === 'host.failed');
    assert.match(
      String(failed?.message),
      /sshd -t refused the new configuration: .*Bad configuration option: NoSuchOption[\s\S]*nothing was changed/,
    );
    assert.equal(await sshdState('n002'), before, 'same file (hash and mtime), same listening ports');
    assert.equal((await onHost(lab!, 'n002', "pgrep -f '[d]eadman.pid' || echo no-timer")).stdout, 'no-timer\n');
    assert.equal(await sshWorks(lab!, 'n002'), true);
  });

  it('a configuration that locks the responder out (AllowUsers, as a drop-in) is rolled back by the host', async () => {
    await onHost(lab!, 'n002', "sed -i '1i Include /etc/ssh/sshd_config.d/*.conf' /etc/ssh/sshd_config");
    const before = await sshdState('n002');
    const params = { allow_users: ['nobody'], deadman_seconds: 5 };
    const r = await run('n002', params);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(
      r.out,
      /sshd: new configuration passes sshd -t and sshd -T \(\/etc\/ssh\/sshd_config\.d\/00-firebreak-harden\.conf\)/,
    );
    const failed = r.journal.find((e) => e.type === 'host.failed');
    assert.match(String(failed?.message), /fresh SSH connection failed|dead-man timer fired/);
    await until(async () => (await sshdState('n002')) === before, 15_000, 'sshd_config to be put back');
    // The files come back first, then sshd is reloaded with them.
    await until(() => sshWorks(lab!, 'n002'), 10_000, 'the responder to get in again');
    const after = await onHost(
      lab!,
      'n002',
      'cat /var/lib/firebreak/harden/default/decided/by; ls /etc/ssh/sshd_config.d/',
    );
    assert.match(after.stdout, /^fired at [^\n]+\n$/, 'the timer fired and the drop-in it created is gone');
    assert.match(
      await verdictOn(lab!, 'n002', 'harden', params),
      /^absent: the dead-man timer fired at .*the hardening runs again$/,
    );
  });
});
