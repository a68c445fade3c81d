/**
 * `rootkit_scan`: the cross-check script run for real, and the step's analysis of its facts' output —
 * one ld.so.preload finding (the `persistence/ld.so.preload` fact's, which the tampered-binary
 * scenario's indicator matches) and absent tools said once.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crosscheckFact, parseCrosscheck } from '../../src/facts/index.js';
import { findingMatches } from '../../src/lab/scenarios/coverage.js';
import { getStepType } from '../../src/steps/index.js';

describe('rootkit_scan cross-checks', () => {
  it('the script, run for real, sees a process whose executable was deleted', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fb-xc-'));
    const exe = path.join(dir, 'sleeper');
    copyFileSync('/bin/sleep', exe);
    const child = spawn(exe, ['30'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      rmSync(exe);
      const out = spawnSync('/bin/sh', ['-c', crosscheckFact.command as string], { encoding: 'utf8' }).stdout;
      assert.ok(out.split('\n').includes(`deleted-exe ${child.pid} ${exe} (deleted)`), out);
      assert.deepEqual(
        parseCrosscheck(out).filter((o) => o.check === 'hidden-pid'),
        [],
        'nothing is hidden from ps on this machine',
      );
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('analyzes its artifacts with the facts: one preload finding the scenario matches, absent tools once', () => {
    const step = getStepType('rootkit_scan');
    assert.ok(step?.analyze);
    const out = (label: string, text: string) => ({ label, text, sha256: `sha-${label}` });
    const findings = step.analyze(
      { tools: true },
      [
        out('rootkit/crosscheck', 'hidden-pid 4242 evil\n'),
        out('persistence/ld.so.preload', '/usr/local/lib/libsysupdate.so\n'),
        out('rootkit/chkrootkit', '# absent: chkrootkit is not installed on this host\n'),
        out('rootkit/rkhunter', 'Warning: Found preloaded shared library: libx.so\n'),
      ] as never,
      { host: 'n001' },
    );
    assert.deepEqual(
      findings.map((f) => [f.kind, f.severity, f.detail.check ?? f.detail.library ?? f.detail.tool, f.evidence]),
      [
        ['rootkit.warning', 'critical', 'hidden-pid', 'sha-rootkit/crosscheck'],
        ['persistence.preload', 'high', '/usr/local/lib/libsysupdate.so', 'sha-persistence/ld.so.preload'],
        ['rootkit.warning', 'high', 'rkhunter', 'sha-rootkit/rkhunter'],
        ['rootkit.warning', 'info', 'tool-absent', undefined],
      ],
    );
    const indicator = {
      id: 'preload-entry',
      kind: 'persistence',
      finding: 'persistence.preload',
      description: '',
      match: { path: '/etc/ld.so.preload', library: '/usr/local/lib/libsysupdate.so' },
      check: '',
    };
    assert.ok(findingMatches(indicator, findings[1] as never), 'scenarios/tampered-binary.yaml preload-entry');
  });
});
