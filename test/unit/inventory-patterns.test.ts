/**
 * Pattern and source edge cases that are errors or need no Ansible fixture: a missing --limit
 * file, an invalid regex, a comma-separated host list as source, pattern splitting.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { loadInventory, selectHosts, splitHostPattern } from '../../src/inventory/index.js';
import { FIXTURES } from '../fixtures/inventory/cases.js';

describe('inventory patterns: errors and splitting', () => {
  const basic = () => loadInventory([join(FIXTURES, 'ini-basic', 'hosts.ini')]);

  it('a missing --limit @file is an InputError naming the file', async () => {
    const inv = await basic();
    assert.throws(
      () => selectHosts(inv, 'all', '@/nonexistent/limit.txt'),
      (e: unknown) => e instanceof InputError && e.message.includes('/nonexistent/limit.txt'),
    );
  });

  it('a --limit @directory is refused', async () => {
    const inv = await basic();
    assert.throws(() => selectHosts(inv, 'all', `@${FIXTURES}`), /must be a file, not a directory/);
  });

  it('an invalid ~regex is an InputError', async () => {
    const inv = await basic();
    assert.throws(
      () => selectHosts(inv, '~web(', undefined),
      (e: unknown) => e instanceof InputError && /Invalid host list pattern/.test(e.message),
    );
  });

  it('splits on commas first, else on colons outside brackets; host:port stays whole', () => {
    assert.deepEqual(splitHostPattern('web:!web03:&prod'), ['web', '!web03', '&prod']);
    assert.deepEqual(splitHostPattern('a:b, c'), ['a:b', 'c']);
    assert.deepEqual(splitHostPattern('web[1:3]:db'), ['web[1:3]', 'db']);
    assert.deepEqual(splitHostPattern('host.example.com:22'), ['host.example.com:22']);
  });

  it('a comma-separated host list is a source, like ansible -i "a,b:2222,"', async () => {
    const inv = await loadInventory(['a.example.com,b.example.com:2222,']);
    assert.deepEqual(
      selectHosts(inv, 'ungrouped').map((h) => [h.name, h.vars['ansible_port']]),
      [
        ['a.example.com', undefined],
        ['b.example.com', 2222],
      ],
    );
  });

  it('Host.groups lists every group of the host (ancestors too), sorted, without all', async () => {
    const inv = await basic();
    const web03 = inv.hosts.find((h) => h.name === 'web03');
    assert.deepEqual(web03?.groups, ['prod', 'staging', 'web']);
  });
});
