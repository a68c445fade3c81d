/**
 * The install script cannot drift from what the code runs: every program declared by the lab, the
 * loopback fleet, a scenario or the tests names a Debian package that scripts/install-deps.sh installs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EnvironmentError, packagePath } from '../../src/core/index.js';
import { checkScenarioPrograms, labNeeds, loadScenario } from '../../src/lab/index.js';
import { declaredPrograms } from '../helpers/declared-programs.js';

/** The words of the `PACKAGES=( … )` array in scripts/install-deps.sh, comments left out. */
function installedPackages(): Set<string> {
  const script = readFileSync(packagePath('scripts', 'install-deps.sh'), 'utf8');
  const m = /^PACKAGES=\(\n([\s\S]*?)^\)/m.exec(script);
  assert.ok(m, 'scripts/install-deps.sh keeps its packages in one PACKAGES=( … ) array');
  return new Set(
    m[1]!
      .split('\n')
      .flatMap((line) => line.replace(/#.*/, '').trim().split(/\s+/))
      .filter(Boolean),
  );
}

describe('programs and the install script', () => {
  it('every declared program names a package that scripts/install-deps.sh installs', () => {
    const packages = installedPackages();
    const needs = declaredPrograms();
    assert.ok(needs.length > 20, `the lab, the scenarios and the tests declare their programs (${needs.length})`);
    const missing = needs.filter((n) => !packages.has(n.package)).map((n) => `${n.program} → ${n.package} (${n.by})`);
    assert.deepEqual(missing, [], 'packages missing from scripts/install-deps.sh');
  });

  it('the scenario that plants cron persistence declares crontab, so the lab preflight asks for cron', () => {
    const needs = labNeeds([loadScenario('outbound-ssh-bruteforce')]);
    assert.deepEqual(
      needs.find((n) => n.program === 'crontab'),
      { program: 'crontab', package: 'cron', by: 'scenario outbound-ssh-bruteforce' },
    );
  });

  it('planting refuses, before anything runs, a scenario whose program is missing, naming the apt-get line', () => {
    assert.throws(
      () => checkScenarioPrograms([loadScenario('outbound-ssh-bruteforce')], (p) => p !== 'crontab'),
      (e: Error) =>
        e instanceof EnvironmentError &&
        /crontab \(scenario outbound-ssh-bruteforce\)/.test(e.message) &&
        /apt-get install -y cron$/m.test(e.message),
    );
  });
});
