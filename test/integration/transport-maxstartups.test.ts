/**
 * 100 simultaneous handshakes to ONE sshd left at OpenSSH's default `MaxStartups 10:30:100`, which
 * drops unauthenticated connections at random past 10 pending. The per-target handshake cap plus
 * the retry of early drops must get every one of them through.
 */
import assert from 'node:assert/strict';
import { SshSession } from '../../src/transport/index.js';
import { startFleet, type Fleet } from '../helpers/fleet.js';

describe('ssh transport: 100 parallel handshakes to one default-MaxStartups sshd', function () {
  this.timeout(60_000);
  let fleet: Fleet;
  let session: SshSession;

  before(async () => {
    fleet = await startFleet({ hosts: 1, maxStartups: null });
  });
  after(async () => {
    await session?.close();
    await fleet?.stop();
  });

  it('all 100 connect and run a command', async () => {
    session = new SshSession({ knownHostsFile: fleet.knownHostsPath, agent: false });
    const h = fleet.hosts[0]!;
    const ts = Array.from({ length: 100 }, (_, i) =>
      session.transport({
        name: `conn${i}`,
        address: h.address,
        port: h.port,
        user: 'root',
        privateKeyFile: fleet.clientKeyPath,
      }),
    );
    const settled = await Promise.allSettled(
      ts.map(async (t) => {
        await t.connect();
        return (await t.exec('echo ok', { timeoutMs: 20_000 })).stdout;
      }),
    );
    const failed = settled
      .filter((s) => s.status === 'rejected')
      .map((s) => String((s as PromiseRejectedResult).reason));
    assert.deepEqual(failed, []);
    await Promise.all(ts.map((t) => t.close()));
  });
});
