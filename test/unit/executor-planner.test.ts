import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun } from '../../src/engine/executor.js';
import { planStep, remoteTmpPath } from '../../src/engine/planner.js';
import { runbookSchema, type Step } from '../../src/runbook/schema.js';
import { FakeFleet, Recorder, fakeClock, hosts } from './executor-fakes.js';

// Wiring check: the real planner's output drives the executor (register → when, failed_when, become).
describe('executor with the real planner', () => {
  let base: string;
  beforeEach(() => (base = mkdtempSync(join(tmpdir(), 'fb-exec-planner-'))));
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('runs planned shell steps with register, when and failed_when', async () => {
    const runbook = runbookSchema.parse({
      name: 'compat',
      phases: {
        collect: [
          { name: 'probe', shell: 'cat /etc/role', register: 'role' },
          { name: 'web only', shell: 'echo web', when: "{{eq role.stdout 'web'}}" },
          { name: 'grep', shell: 'grep x /y', failed_when: '{{gt result.rc 1}}' },
        ],
      },
    });
    const fleet = new FakeFleet({
      w1: { replies: { 'cat /etc/role': { stdout: 'web' }, 'grep x /y': { code: 1 } } },
      d1: { replies: { 'cat /etc/role': { stdout: 'db' }, 'grep x /y': { code: 1 } } },
    });
    const rec = new Recorder();
    const handle = startRun<Step>({
      runbook,
      hosts: hosts('w1', 'd1'),
      planStep: (step, c) =>
        planStep(step, {
          host: c.host,
          params: {},
          registered: { ...c.registered },
          runbookDir: base,
          remoteTmp: remoteTmpPath(c.runId, c.phase, c.index, randomBytes(6).toString('hex')),
        }),
      transportFor: fleet.factory,
      runsDir: base,
      clock: fakeClock(),
      fsync: false,
      sinks: [rec],
    });
    const summary = await handle.done;
    const lines = rec
      .of('step.finished')
      .map((e) => `${e.host} ${e.step} ${e.outcome.status}`)
      .concat(rec.of('step.skipped').map((e) => `${e.host} ${e.step} skipped`));
    assert.deepEqual(lines.sort(), [
      'd1 grep ok',
      'd1 probe ok',
      'd1 web only skipped',
      'w1 grep ok',
      'w1 probe ok',
      'w1 web only ok',
    ]);
    assert.equal(summary.exitCode, 0);
  });
});
