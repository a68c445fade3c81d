/** Every host gets its own folder under hosts/, inside the run directory, whatever its inventory name. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { hostDir } from '../../src/engine/run-dir.js';

describe('run directory: host folders', () => {
  const run = '/runs/20261206T101500Z-x';

  it('keeps a plain host name as its folder', () => {
    assert.equal(hostDir(run, 'web01'), `${run}/hosts/web01`);
    assert.equal(hostDir(run, 'db-2.example.com'), `${run}/hosts/db-2.example.com`);
  });

  it('gives names that differ only by case or by unsafe characters distinct folders', () => {
    const names = ['n003', 'N003', 'etc', '../../etc', '/etc', 'a b', 'a-b', 'a_b', 'A_B', '..', '.', ''];
    const folders = names.map((n) => hostDir(run, n));
    assert.equal(new Set(folders).size, names.length, folders.join('\n'));
    for (const f of folders) {
      assert.equal(path.dirname(f), `${run}/hosts`, `${f} is one folder directly under hosts/`);
      assert.ok(!path.basename(f).startsWith('.'), f);
    }
  });

  it('is stable: the same name gives the same folder in every run', () => {
    assert.equal(hostDir(run, '../../etc'), hostDir(run, '../../etc'));
    assert.match(path.basename(hostDir(run, '../../etc')), /^etc-[0-9a-f]{12}$/);
  });
});
