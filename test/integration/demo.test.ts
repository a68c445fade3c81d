/** README command 1's main job: `firebreak demo` runs the whole story and leaves nothing behind. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isRoot } from '../helpers/lab.js';
import { REPO, runCli } from './run-cli.js';

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
      // Targeted: the compromised host is rebuilt, the clean one left in service, with why.
      assert.match(md, /\| rebuilt \| 1 \|/);
      assert.match(md, /Left in service[^\n]*\n\n- \[n002\]\([^)]+\), collect step "leave in service": not contained/);
      assert.ok(existsSync(report[2]!));
      assert.match(r.stderr, /demo: lab removed/);
      const lab = /demo: starting a drill lab[\s\S]*?on (198\.1[89]\.\d+\.\d+\/20) \(bridge (fblab\d+)/.exec(r.stderr);
      assert.ok(lab, r.stderr.slice(0, 500));
      const left = readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
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

  it('on a machine without cron: one clear error naming the apt-get line, before anything boots, and no clean-up error', async function () {
    if (!isRoot) return this.skip();
    const work = mkdtempSync(path.join(os.tmpdir(), 'fb-demo-nocron-'));
    // In a mount namespace of its own, /usr/bin is an overlay whose whiteout hides crontab: this
    // machine as a fresh one without the cron package sees it. Nothing outside that namespace changes.
    const script = [
      'set -e',
      'mkdir -p "$1/upper" "$1/work"',
      'mknod "$1/upper/crontab" c 0 0',
      'mount -t overlay overlay -o "lowerdir=/usr/bin,upperdir=$1/upper,workdir=$1/work" /usr/bin',
      'test ! -e /usr/bin/crontab',
      'cd "$2" && exec "$3" bin/firebreak.js demo --runs-dir "$1/runs"',
    ].join('\n');
    try {
      const r = await promisify(execFile)(
        'unshare',
        ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', work, REPO, process.execPath],
        { env: { ...process.env, CI: '1' }, timeout: 60_000 },
      ).then(
        () => assert.fail('the demo must not succeed without crontab'),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      assert.equal(r.code, 6, r.stderr);
      assert.match(r.stderr, /missing programs: crontab \(scenario outbound-ssh-bruteforce\)/);
      assert.match(r.stderr, /apt-get install -y cron\b/);
      assert.doesNotMatch(r.stderr, /lab down failed|ENOENT|internal error/);
      assert.doesNotMatch(r.stderr, /starting \d+ lab hosts/, 'nothing boots');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
