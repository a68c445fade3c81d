/**
 * Table fixtures (test/fixtures/inventory/tables/*.json) for the pieces under the inventory:
 * INI value evaluation, host-line splitting, host ranges, and connection vars → ConnectionSpec.
 * The value/shlex/range tables were checked against ansible-core 2.14's own functions.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Host } from '../../src/core/host.js';
import { connectionSpec } from '../../src/inventory/index.js';
import { iniValue } from '../../src/inventory/pyliteral.js';
import { expandHostPattern } from '../../src/inventory/ranges.js';
import { shlexSplit } from '../../src/inventory/shlex.js';
import { FIXTURES } from '../fixtures/inventory/cases.js';

function table<T>(name: string): { description: string; cases: T[]; defaults?: { user?: string } } {
  return JSON.parse(readFileSync(join(FIXTURES, 'tables', name), 'utf8'));
}

const values = table<[string, unknown]>('ini-values.json');
describe(`inventory INI values: ${values.description}`, () => {
  for (const [input, expected] of values.cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => assert.deepEqual(iniValue(input), expected));
  }
});

const shlex = table<[string, string[] | string]>('shlex.json');
describe(`inventory host lines: ${shlex.description}`, () => {
  for (const [line, expected] of shlex.cases) {
    it(JSON.stringify(line), () => {
      if (typeof expected === 'string') assert.throws(() => shlexSplit(line), new RegExp(expected));
      else assert.deepEqual(shlexSplit(line), expected);
    });
  }
});

const ranges = table<{ pattern: string; hosts?: string[]; port?: number; error?: string }>('ranges.json');
describe(`inventory host ranges: ${ranges.description}`, () => {
  for (const c of ranges.cases) {
    it(c.pattern, () => {
      if (c.error !== undefined) {
        assert.throws(
          () => expandHostPattern(c.pattern),
          (e: Error) => e.message.includes(c.error as string),
        );
        return;
      }
      assert.deepEqual(
        expandHostPattern(c.pattern),
        c.port === undefined ? { hosts: c.hosts } : { hosts: c.hosts, port: c.port },
      );
    });
  }
});

const conn = table<{ name: string; vars: Record<string, unknown>; spec?: unknown; error?: string }>('connection.json');
describe(`inventory connection specs: ${conn.description}`, () => {
  for (const c of conn.cases) {
    it(c.name, () => {
      const host: Host = { name: c.name, vars: c.vars, groups: [] };
      if (c.error !== undefined) {
        assert.throws(
          () => connectionSpec(host, conn.defaults),
          (e: Error) => e.message.includes(c.error as string),
        );
        return;
      }
      assert.deepEqual(connectionSpec(host, conn.defaults), c.spec);
    });
  }

  it('expands ~ in the key path and defaults the user to the local user', () => {
    const spec = connectionSpec({ name: 'h', vars: { ansible_ssh_private_key_file: '~/.ssh/id' }, groups: [] });
    assert.ok(spec.privateKeyFile?.endsWith('/.ssh/id') && !spec.privateKeyFile.startsWith('~'), spec.privateKeyFile);
    assert.ok(spec.user.length > 0);
  });
});
