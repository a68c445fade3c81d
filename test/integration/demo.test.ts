/** README command 1's main job: `firebreak demo` runs the whole story and leaves nothing behind. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isRoot } from '../helpers/lab.js';
import { runCli } from './run-cli.js';

describe('firebreak demo (README command 1)', function () {
  this.timeout(180_000);

  it('responds to the lab compromise end to end, writes the report, removes the lab', async function () {
    if (!isRoot) return this.skip();
    const runs = mkdtempSync(path.join(os.tmpdir(), 'fb-demo-runs-'));
    try {
      const r = await runCli(['demo', '--runs-dir', runs], { timeoutMs: 170_000 });
      assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr.slice(-2000));
      const report = /report: (\S+report\.md)\s+(\S+report\.html)/.exec(r.stdout);
      assert.ok(report, 'the report paths are printed');
      const md = readFileSync(report[1]!, 'utf8');
      assert.match(md, /DEMO-1/);
      assert.match(md, /\| rebuilt \| 2 \|/);
      assert.ok(existsSync(report[2]!));
      assert.match(r.stderr, /demo: lab removed/);
      const lab = /demo: starting a drill lab[\s\S]*?on (198\.1[89]\.\d+\.\d+\/20) \(bridge (fblab\d+)/.exec(r.stderr);
      assert.ok(lab, r.stderr.slice(0, 500));
      const left = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('firebreak-demo-');
        } catch {
          return false;
        }
      });
      assert.deepEqual(left, [], 'no lab process left');
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  });
});
