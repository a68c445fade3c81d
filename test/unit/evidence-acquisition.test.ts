/**
 * The acquisition record in the signed manifest: per artifact how its command ran (duration, exit
 * code, signal, timed out, truncated by a size cap, stderr), and for the run the case id, examiner,
 * firebreak's version and the runbook's digest.
 */
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun } from '../../src/engine/executor.js';
import { evidencePaths, verifyEvidence, type Manifest } from '../../src/evidence/index.js';
import { FakeFleet, fakeClock, fakePlanner, hosts, type FakeStep } from './executor-fakes.js';

let base: string;
beforeEach(() => (base = mkdtempSync(join(tmpdir(), 'fb-acq-'))));
afterEach(() => rmSync(base, { recursive: true, force: true }));

const evidence = (label: string, command: string) => ({
  kind: 'evidence' as const,
  command,
  label,
  source: { kind: 'command' as const, value: command },
});

/** What the host's evidence wrapper prints: the bytes, then exit code and SHA-256 on stderr after its own. */
const reply = (stdout: string, rc: number, stderr = '') => ({
  stdout,
  stderr: `${stderr}fb-rc=${rc}\nfb-sha256=${createHash('sha256').update(stdout).digest('hex')}\nfb-bytes=${Buffer.byteLength(stdout)}\n`,
});

describe('evidence: the acquisition record', () => {
  it('records per artifact how it was acquired, and the case in the signed manifest', async () => {
    const fleet = new FakeFleet({
      web01: {
        replies: {
          'cat /var/log/big': reply('line\n# truncated at 1073741824 bytes of 2000000000\n', 0),
          'ls /nope': reply('', 2, 'ls: cannot access /nope: No such file or directory\n'),
        },
      },
    });
    const steps: FakeStep[] = [
      { name: 'grab', actions: [evidence('logs/big', 'cat /var/log/big'), evidence('files/nope', 'ls /nope')] },
    ];
    const caseRecord = { caseId: 'INC-2291', examiner: 'alice@jump1', firebreakVersion: '9.9.9' };
    const handle = startRun<FakeStep>({
      runbook: { name: 'acq', phases: { collect: { steps } } },
      hosts: hosts('web01'),
      ...fakePlanner,
      transportFor: fleet.factory,
      runsDir: base,
      clock: fakeClock(),
      fsync: false,
      evidence: { caseRecord },
    });
    await handle.done;
    const manifest = JSON.parse(readFileSync(evidencePaths(handle.runDir).manifest, 'utf8')) as Manifest;
    assert.deepEqual(manifest.case, caseRecord);
    const [big, nope] = manifest.artifacts;
    assert.equal(big?.acquisition?.exitCode, 0);
    assert.equal(big?.acquisition?.bytesAtSource, big?.size, 'the bytes the host sent, beside what was stored');
    assert.equal(big?.acquisition?.truncated, true, 'the size-cap marker is recorded as truncation');
    assert.equal(big?.acquisition?.timedOut, false);
    assert.equal(typeof big?.acquisition?.durationMs, 'number');
    assert.equal(nope?.acquisition?.exitCode, 2);
    assert.equal(nope?.acquisition?.truncated, false);
    assert.match(nope?.acquisition?.stderr ?? '', /cannot access \/nope/);
    // It is part of what is signed: the run still verifies.
    assert.equal((await verifyEvidence(handle.runDir)).ok, true);
  });
});
