/**
 * Every shipped runbook loads, documents each of its params in its header comment, and plans on every
 * host of the example inventory without a planning error.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { planRun } from '../../src/engine/planner.js';
import { loadInventory, selectHosts } from '../../src/inventory/index.js';
import { loadRunbook, resolveParams } from '../../src/runbook/index.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const DIR = path.join(REPO, 'runbooks');
const SHIPPED = [
  'triage',
  'outbound-ssh-attack',
  'outbound-ssh-targeted',
  'compromised-host',
  'ssh-bruteforce-hardening',
  'conntrack-exhaustion',
];

describe('shipped runbooks', () => {
  it('are all there', () => {
    const present = readdirSync(DIR)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.replace(/\.yaml$/, ''));
    for (const name of SHIPPED) assert.ok(present.includes(name), `runbooks/${name}.yaml`);
  });

  for (const name of SHIPPED) {
    it(`${name}: documents its params and plans cleanly on the example inventory`, async () => {
      const file = path.join(DIR, `${name}.yaml`);
      const header = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('#'))
        .join('\n');
      const { runbook, dir } = await loadRunbook(file);
      for (const param of Object.keys(runbook.params ?? {}))
        assert.match(header, new RegExp(`\\b${param}\\b`), `param ${param} documented at the top`);
      assert.match(header, /firebreak run runbooks\//, 'usage line');
      const inventory = await loadInventory([path.join(REPO, 'inventories/example.ini')]);
      const hosts = selectHosts(inventory, 'all');
      const plan = planRun(runbook, hosts, resolveParams(runbook.params, []), { runbookDir: dir });
      assert.equal(
        plan.errors,
        0,
        JSON.stringify(
          plan.hosts[0]?.phases.flatMap((p) => p.steps.filter((s) => s.error)),
          null,
          1,
        ),
      );
      assert.ok(plan.hosts.length > 0);
    });
  }
});
