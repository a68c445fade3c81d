/**
 * A host cut off by the network mid-step, through the real CLI on the drill lab: the cut is seen
 * through SSH keepalives (not after minutes of TCP), and the command the host never learned we gave
 * up on — still running there, with its sshd session — is killed once the host is back, by the
 * run's last connect. Lab hosts only (the cut is tc netem / nftables on the lab host's link).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { applyFault, labUp, type LabState } from '../../src/lab/index.js';
import { isRoot, labTempDir, onHost, removeLab } from '../helpers/lab.js';
import { onlyRunDir, readJournal, startCli, until } from './run-cli.js';

describe('a host cut off by the network mid-step (drill lab)', function () {
  this.timeout(120_000);
  let lab: LabState | undefined;
  let dir = '';

  before(async function () {
    if (!isRoot) return this.skip();
    dir = labTempDir('cutoff');
    lab = await labUp({ dir, hosts: 2, scenarios: [] });
  });

  after(async () => {
    await removeLab(lab, dir);
  });

  /** The quiet command's processes on a host, and its sshd sessions (`sshd: root@notty`, `sshd-session: …` on OpenSSH >= 9.8). */
  const leftOn = async (host: string) => {
    const r = await onHost(lab!, host, "pgrep -fx 'sleep 3000' | wc -l; pgrep -f '^sshd(-session)?: root' | wc -l");
    const [sleeps, sessions] = r.stdout.trim().split('\n').map(Number);
    return { sleeps: sleeps as number, sessions: sessions as number };
  };

  it('is lost within seconds, and the command it left running is killed when it is back', async () => {
    const work = path.dirname(dir);
    const runbook = path.join(work, 'cut.yaml');
    writeFileSync(
      runbook,
      [
        'name: cut-off',
        'phases:',
        '  collect:',
        '    - name: quiet on the host that will be cut',
        '      shell: sleep 3000',
        '      timeout: 1h',
        '      when: eq inventory_hostname "n001"',
        '    - name: keeps the run going meanwhile',
        '      shell: sleep 25',
        '      when: eq inventory_hostname "n002"',
        '',
      ].join('\n'),
    );
    const runsDir = path.join(work, 'runs');
    const cli = startCli(['run', runbook, '-i', lab!.files.inventory, '--runs-dir', runsDir, '--keepalive', '1'], {
      timeoutMs: 90_000,
    });
    await until(async () => (await leftOn('n001')).sleeps === 1, 20_000, 'sleep 3000 running on n001').catch((e) => {
      throw new Error(`${(e as Error).message}\n${cli.out.stdout}\n${cli.out.stderr}`);
    });
    const cutAt = Date.now();
    await applyFault(dir, 'n001', { kind: 'flaky', pct: 100 });
    await cli.waitFor((out) => /n001.*connection lost/.test(out), 30_000, 'n001 lost');
    const detectedMs = Date.now() - cutAt;
    // TCP alone would wait minutes: keepalives every second, 3 unanswered, find it in seconds.
    assert.ok(detectedMs < 15_000, `the cut was seen after ${detectedMs} ms`);
    await applyFault(dir, 'n001', { kind: 'heal' });
    // The host never saw the cut: the command and its session are still there.
    const before = await leftOn('n001');
    assert.equal(before.sleeps, 1, 'the quiet command outlived the cut');
    assert.ok(before.sessions >= 1, 'its sshd session too');

    const r = await cli.done;
    assert.equal(r.code, 3, r.stdout + r.stderr);
    await until(
      async () => {
        const now = await leftOn('n001');
        return now.sleeps === 0 && now.sessions === 0;
      },
      15_000,
      'nothing of the run left on n001',
    );
    const journal = readJournal(onlyRunDir(runsDir));
    const lost = journal.find((e) => e.host === 'n001' && /connection lost/.test(JSON.stringify(e)));
    assert.match(JSON.stringify(lost), /may still run on the host as PID \d+/);
    assert.ok(
      journal.some((e) => e.host === 'n002' && e.type === 'step.finished'),
      'the other host finished its step',
    );
  });
});
