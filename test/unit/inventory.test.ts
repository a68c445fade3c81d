/**
 * The inventory fixture set against Ansible's recorded answers (recorded by
 * test/integration/ansible-compat.test.ts with FIREBREAK_RECORD=1 from ansible-core 2.14).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadInventory, selectHosts, toAnsibleListJson, toGraph } from '../../src/inventory/index.js';
import { label, loadCases, resolveLimit } from '../fixtures/inventory/cases.js';

describe('inventory fixtures (answers recorded from ansible)', () => {
  for (const c of loadCases()) {
    describe(`${c.name}: ${c.description}`, () => {
      const load = () => loadInventory(c.sources.map((s) => join(c.dir, s)));

      it('list JSON equals ansible-inventory --list', async () => {
        const expected = JSON.parse(readFileSync(join(c.dir, 'expected-list.json'), 'utf8')) as unknown;
        assert.deepEqual(toAnsibleListJson(await load()), expected);
      });

      it('graph equals ansible-inventory --graph --vars', async () => {
        const expected = readFileSync(join(c.dir, 'expected-graph.txt'), 'utf8').trimEnd();
        assert.equal(toGraph(await load(), { vars: true }), expected);
      });

      for (const p of c.patterns) {
        it(`selects like ansible: ${label(p)}`, async () => {
          const inv = await load();
          const warnings: string[] = [];
          const run = () => selectHosts(inv, p.pattern, resolveLimit(c, p.limit), (m) => warnings.push(m));
          if (p.error !== undefined) {
            assert.throws(run, (e: Error) => e.message.includes(p.error as string));
            return;
          }
          assert.deepEqual(
            run().map((h) => h.name),
            p.hosts,
          );
          assert.deepEqual([...new Set(warnings)], p.warnings ?? []);
        });
      }
    });
  }
});
