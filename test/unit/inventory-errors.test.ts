/**
 * Malformed inventories: one fixture directory per case under test/fixtures/inventory/errors,
 * with the problems expected (every one of them, each with file:line:col).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, type ValidationIssue } from '../../src/core/errors.js';
import { loadInventory } from '../../src/inventory/index.js';
import { FIXTURES } from '../fixtures/inventory/cases.js';

interface ExpectedIssue {
  /** Path relative to the case dir; defaults to the first source. */
  file?: string;
  line?: number;
  col?: number;
  message: string;
}

const root = join(FIXTURES, 'errors');

describe('inventory errors', () => {
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (!existsSync(join(dir, 'case.json'))) continue;
    const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as {
      description: string;
      sources: string[];
      issues: ExpectedIssue[];
    };
    it(`${name}: ${c.description}`, async () => {
      let err: unknown;
      try {
        await loadInventory(c.sources.map((s) => join(dir, s)));
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
      assert.equal(err.exitCode, 2);
      const got = err.issues.filter((i) => i.severity === 'error');
      assert.equal(got.length, c.issues.length, `issues:\n${err.message}`);
      c.issues.forEach((want, k) => {
        const i = got[k] as ValidationIssue;
        assert.ok(i.message.includes(want.message), `issue ${k}: "${i.message}" should include "${want.message}"`);
        assert.equal(i.file, join(dir, want.file ?? (c.sources[0] as string)), `issue ${k} file`);
        if (want.line !== undefined) assert.equal(i.line, want.line, `issue ${k} line: ${i.message}`);
        if (want.col !== undefined) assert.equal(i.col, want.col, `issue ${k} col: ${i.message}`);
        // The rendered error names file:line:col so the user can jump to it.
        if (want.line !== undefined) assert.ok(err.message.includes(`${i.file}:${want.line}:`), err.message);
      });
    });
  }
});
