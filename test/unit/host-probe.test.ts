import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { HOST_PROBE, parseHostProbe } from '../../src/engine/host-probe.js';

describe('host probe (the acquisition record of a host)', () => {
  it('the command, run by dash, reports every field of this machine on one line each', () => {
    const out = execFileSync('dash', ['-c', HOST_PROBE], { encoding: 'utf8' });
    const p = parseHostProbe(out);
    assert.equal(p.kernel, execFileSync('uname', ['-srm'], { encoding: 'utf8' }).trim());
    assert.equal(p.user, execFileSync('id', ['-un'], { encoding: 'utf8' }).trim());
    assert.ok(p.hostname && p.os && p.timezone, out);
    assert.ok(Math.abs((p.epoch ?? 0) - Date.now() / 1000) < 5, out);
  });

  it('keeps hostile values as data: unknown keys ignored, long values cut, no epoch that is not a number', () => {
    const p = parseHostProbe(
      ['hostname=$(reboot) `x`', 'evil=1', `os=${'A'.repeat(2000)}`, 'epoch=12a', 'kernel=', '=x', 'noequals'].join(
        '\n',
      ),
    );
    assert.deepEqual(Object.keys(p).sort(), ['hostname', 'os']);
    assert.equal(p.hostname, '$(reboot) `x`');
    assert.equal(p.os?.length, 512);
  });
});
