import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runbookSchema } from '../../src/runbook/schema.js';
import { FakeFleet } from './executor-fakes.js';
import { runPlanned } from './planned-run.js';

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
    const { summary, rec } = await runPlanned({ runbook, fleet, hosts: ['w1', 'd1'], dir: base });
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
