/**
 * The declarations are true on a machine scripts/install-deps.sh has set up: every declared program
 * is here, and dpkg says it comes from the package its declaration names.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { findProgram } from '../../src/lab/index.js';
import { declaredPrograms } from '../helpers/declared-programs.js';

/** The package dpkg says owns a file, trying the names merged /usr gives it (/usr/bin/x and /bin/x, and the link target). */
function owningPackage(file: string): string | undefined {
  const real = realpathSync(file);
  const candidates = [...new Set([file, file.replace(/^\/usr/, ''), real, real.replace(/^\/usr/, '')])];
  for (const path of candidates) {
    try {
      const out = execFileSync('dpkg-query', ['-S', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      return out.split(':')[0]!.trim();
    } catch {
      /* not registered under this name; try the next */
    }
  }
  return undefined;
}

describe('declared programs on this machine', function () {
  before(function () {
    if (!findProgram('dpkg-query')) this.skip(); // not a Debian machine: nothing to compare with
  });

  it('each is installed and comes from the package its declaration names', () => {
    const wrong: string[] = [];
    for (const need of declaredPrograms()) {
      const file = findProgram(need.program);
      if (!file) {
        wrong.push(`${need.program} (${need.by}) is not installed: apt-get install -y ${need.package}`);
        continue;
      }
      const owner = owningPackage(file);
      if (owner !== need.package)
        wrong.push(`${need.program} (${need.by}) comes from ${owner ?? 'no package'}, declared ${need.package}`);
    }
    assert.deepEqual(wrong, []);
  });
});
