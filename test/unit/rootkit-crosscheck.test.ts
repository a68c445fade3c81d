import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CROSSCHECK_SCRIPT, crosscheckFindings } from '../../src/steps/rootkit_scan.js';

describe('rootkit_scan cross-checks', () => {
  it('turns each observation into a finding', () => {
    const f = crosscheckFindings(
      'n001',
      'hidden-pid 4242 evil\npreload /usr/local/lib/libsysupdate.so\ndeleted-exe 77 /tmp/kworkerds (deleted)\n\n',
    );
    assert.deepEqual(
      f.map((x) => [x.kind, x.severity, x.detail]),
      [
        ['rootkit.warning', 'critical', { check: 'hidden-pid', pid: 4242, comm: 'evil' }],
        ['persistence.preload', 'high', { path: '/usr/local/lib/libsysupdate.so' }],
        ['rootkit.warning', 'high', { check: 'deleted-exe', pid: 77, exe: '/tmp/kworkerds (deleted)' }],
      ],
    );
    assert.deepEqual(crosscheckFindings('n001', ''), []);
  });

  it('the script, run for real, sees a process whose executable was deleted', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fb-xc-'));
    const exe = path.join(dir, 'sleeper');
    copyFileSync('/bin/sleep', exe);
    const child = (await import('node:child_process')).spawn(exe, ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      rmSync(exe);
      const out = spawnSync('/bin/sh', ['-c', CROSSCHECK_SCRIPT], { encoding: 'utf8' }).stdout;
      assert.ok(out.split('\n').includes(`deleted-exe ${child.pid} ${exe} (deleted)`), out);
      assert.doesNotMatch(out, /^hidden-pid/m, 'nothing is hidden from ps on this machine');
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
