/**
 * Pattern and source edge cases that are errors or need no Ansible fixture: a missing --limit
 * file, an invalid regex, a comma-separated host list as source, pattern splitting.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { hostRegExp, nestedRepetition } from '../../src/inventory/host-regex.js';
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

  it('a ~regex that backtracks catastrophically, ~(a+)+$ or ~a*a*a*a*a*$, matches a long name at once', async () => {
    const long = `${'a'.repeat(20_000)}b`;
    const inv = await loadInventory([`${long},web1,`]);
    const started = performance.now();
    for (const p of ['~(a+)+$', '~a*a*a*a*a*a*$', '~(a|aa)*$', '~(.*a){12}$'])
      assert.deepEqual(
        selectHosts(inv, 'all', p).map((h) => h.name),
        [],
        p,
      );
    assert.deepEqual(
      selectHosts(inv, 'all', '~(a+)+b$').map((h) => h.name),
      [long],
    );
    assert.ok(performance.now() - started < 1000, `took ${Math.round(performance.now() - started)} ms`);
  });

  it('a ~regex no linear-time engine can run (backreference, lookaround, {1000}) is a clear InputError', async () => {
    const inv = await basic();
    for (const p of ['~(a*)*\\1$', '~(?=a)web', '~(?<!x)web', '~a{1000}'])
      assert.throws(
        () => selectHosts(inv, 'all', p),
        (e: unknown) => e instanceof InputError && /not supported in a ~regex.*exponential time/.test(e.message),
        p,
      );
  });

  it('without the linear engine, a repeated group that repeats or alternates is refused', () => {
    assert.throws(
      () => hostRegExp('~(a+)+$', 'backtracking'),
      /the group \(a\+\) repeats something that itself repeats/,
    );
    assert.equal(hostRegExp('~web0[12]', 'backtracking').source, 'web0[12]');
    const nested = ['(a+)+', '(a|aa)*', '(?:x*)+', '((ab)*c){2,}', '(a?){3}', '(?<n>a+)*'];
    const fine = ['(web|db)[0-9]+', 'web0[12]', '[(+*]+', '\\(a+\\)+', '(a+)?', '(ab)+', '(a+){1}', '(?:web)+x*'];
    assert.deepEqual(
      nested.map((p) => nestedRepetition(p) !== undefined),
      nested.map(() => true),
    );
    assert.deepEqual(
      fine.map((p) => nestedRepetition(p)),
      fine.map(() => undefined),
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
