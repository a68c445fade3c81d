/**
 * Step types from data: test/fixtures/steps/<type>/<case>.json holds `params` (as written in a
 * runbook) and optional `ctx`, plus either the expected `actions` or an expected validation `error`
 * (a substring of the zod messages). One harness runs them all.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { STEP_TYPES, getStepType, type PlanContext } from '../../src/steps/index.js';
import { flatten } from '../../src/runbook/issues.js';

const ROOT = path.join(import.meta.dirname, '../fixtures/steps');

interface Fixture {
  params: unknown;
  ctx?: Partial<PlanContext>;
  actions?: unknown[];
  error?: string;
}

const baseCtx: PlanContext = {
  host: { name: 'web01', vars: {}, groups: [] },
  params: {},
  registered: {},
  runbookDir: '/runbooks',
  remoteTmp: '/tmp/.firebreak-test',
};

describe('step types (fixtures)', () => {
  it('every registered type has a fixture directory, and every directory is a registered type', () => {
    assert.deepEqual(readdirSync(ROOT).sort(), STEP_TYPES.map((t) => t.type).sort());
  });

  for (const dir of readdirSync(ROOT).sort()) {
    describe(dir, () => {
      for (const file of readdirSync(path.join(ROOT, dir))
        .filter((f) => f.endsWith('.json'))
        .sort()) {
        const fx = JSON.parse(readFileSync(path.join(ROOT, dir, file), 'utf8')) as Fixture;
        it(file.replace(/\.json$/, ''), () => {
          const type = getStepType(dir);
          assert.ok(type, `unknown step type ${dir}`);
          const parsed = type.schema.safeParse(fx.params);
          if (fx.error !== undefined) {
            assert.equal(parsed.success, false, 'expected a validation error');
            // The messages users see: unions resolved to the branch the value meant.
            const messages = flatten(parsed.error?.issues ?? [], [], fx.params, new Set())
              .map((i) => i.message)
              .join('\n');
            assert.ok(messages.includes(fx.error), `expected "${fx.error}" in:\n${messages}`);
            return;
          }
          assert.ok(parsed.success, parsed.error?.message);
          // Parsed params must parse again unchanged: the planner re-validates rendered params.
          assert.deepEqual(type.schema.parse(parsed.data), parsed.data);
          const actions = type.plan(parsed.data, { ...baseCtx, ...fx.ctx });
          assert.deepEqual(actions, fx.actions);
        });
      }
    });
  }
});
