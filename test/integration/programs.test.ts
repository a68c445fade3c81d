/**
 * The declarations are true on a machine scripts/install-deps.sh has set up: every declared program
 * is here, and dpkg says it comes from the package its declaration names.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { findProgram } from '../../src/lab/index.js';
import { declaredPrograms } from '../helpers/declared-programs.js';

/** The names merged /usr gives a file: /usr/bin/x and /bin/x, and the same for its link target. */
function aliases(file: string): string[] {
  const real = realpathSync(file);
  return [...new Set([file, file.replace(/^\/usr/, ''), real, real.replace(/^\/usr/, '')])];
}

/** path → owning package for every path dpkg knows, in one dpkg-query (one per path took ~20 s in all). */
function owners(paths: string[]): Map<string, string> {
  const r = spawnSync('dpkg-query', ['-S', ...paths], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([^:]+)(?::[^:]+)?: (\/.*)$/.exec(line); // `pkg: /path` or `pkg:arch: /path`
    if (m) for (const pkg of m[1]!.split(', ')) if (!out.has(m[2]!)) out.set(m[2]!, pkg);
  }
  return out;
}

describe('declared programs on this machine', function () {
  before(function () {
    if (!findProgram('dpkg-query')) this.skip(); // not a Debian machine: nothing to compare with
  });

  it('each is installed and comes from the package its declaration names', () => {
    const wrong: string[] = [];
    const found = declaredPrograms().map((need) => ({ need, file: findProgram(need.program) }));
    const known = owners(found.flatMap((f) => (f.file ? aliases(f.file) : [])));
    for (const { need, file } of found) {
      if (!file) {
        wrong.push(`${need.program} (${need.by}) is not installed: apt-get install -y ${need.package}`);
        continue;
      }
      const owner = aliases(file)
        .map((p) => known.get(p))
        .find(Boolean);
      if (owner !== need.package)
        wrong.push(`${need.program} (${need.by}) comes from ${owner ?? 'no package'}, declared ${need.package}`);
    }
    assert.deepEqual(wrong, []);
  });
});
