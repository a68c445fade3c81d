/**
 * The test fleet itself: hosts isolated in their own namespaces, and nothing left behind after stop().
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { startFleet } from '../helpers/fleet.js';

/** PIDs of live processes whose command line mentions `needle`. */
function processesMentioning(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) out.push(Number(d));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

describe('test fleet helper', function () {
  this.timeout(60_000);

  it('starts isolated hosts and leaves no process, mount or temp dir after stop()', async () => {
    const fleet = await startFleet({ hosts: 3 });
    const { dir } = fleet;
    try {
      assert.equal(fleet.hosts.length, 3);
      assert.deepEqual(
        fleet.hosts.map((h) => h.address),
        ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
      );
      assert.ok(processesMentioning(dir).length >= 3, 'sshd processes should be running');
      const h = fleet.hosts[1]!;
      const out = execFileSync(
        'ssh',
        [
          '-i',
          fleet.clientKeyPath,
          '-o',
          `UserKnownHostsFile=${fleet.knownHostsPath}`,
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          'BatchMode=yes',
          '-p',
          String(h.port),
          `root@${h.address}`,
          'ls -A /root | wc -l; id fbuser; grep -c fbuser /etc/passwd',
        ],
        { encoding: 'utf8' },
      );
      // Clean root home, test user present inside the host...
      assert.deepEqual(out.trim().split('\n'), ['0', 'uid=4242(fbuser) gid=4242(fbuser) groups=4242(fbuser)', '1']);
      // ...and never on the real machine.
      assert.ok(!readFileSync('/etc/passwd', 'utf8').includes('fbuser:'));
      assert.match(
        readFileSync(fleet.inventoryPath, 'utf8'),
        new RegExp(`host02 ansible_host=127.0.0.3 ansible_port=${h.port} ansible_user=root`),
      );
      await fleet.stopHost('host02');
      assert.throws(() =>
        execFileSync(
          'ssh',
          ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=3', '-p', String(h.port), `root@${h.address}`, 'true'],
          { stdio: 'ignore' },
        ),
      );
      await fleet.startHost('host02');
    } finally {
      await fleet.stop();
    }
    assert.equal(existsSync(dir), false, 'temp dir removed');
    assert.deepEqual(processesMentioning(dir), [], 'no process left');
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(dir), 'no mount left');
  });
});
