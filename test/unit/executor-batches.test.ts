import { strict as assert } from 'node:assert';
import { batchSize, maxFailExceeded, splitBatches } from '../../src/engine/batches.js';
import { slug, stepFileBase, utcStamp } from '../../src/engine/run-dir.js';
import { OutputThrottle } from '../../src/engine/output.js';

const hosts = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const sizes = (bs: number[][]): number[] => bs.map((b) => b.length);

// The one definition of `serial` (the executor's). As in Ansible: a numeric string is a host count,
// not a percentage, and 0 means no batching.
describe('serial batches (Ansible semantics)', () => {
  const cases: Array<[string, number, Parameters<typeof splitBatches>[1], number[]]> = [
    ['no serial: one batch', 5, undefined, [5]],
    ['a number', 5, 2, [2, 2, 1]],
    ['a number; the last batch is what is left', 10, 4, [4, 4, 2]],
    ['0: all hosts at once', 5, 0, [5]],
    ['"0": all hosts at once', 5, '0', [5]],
    ['a percentage, floored', 10, '25%', [2, 2, 2, 2, 2]],
    ['30% of 10', 10, '30%', [3, 3, 3, 1]],
    ['a tiny percentage is at least 1', 3, '10%', [1, 1, 1]],
    ['1% of 10 is 1', 10, '1%', [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]],
    ['a list; the last value repeats', 10, [1, 3, '50%'], [1, 3, 5, 1]],
    ['a list; the last batch is what is left', 10, [1, '50%'], [1, 5, 4]],
    ['an empty list: one batch', 4, [], [4]],
    ['bigger than the fleet', 3, 10, [3]],
    ['a numeric string is a host count, not a percentage', 4, '3', [3, 1]],
  ];
  for (const [name, n, serial, expected] of cases) {
    it(name, () => assert.deepEqual(sizes(splitBatches(hosts(n), serial)), expected));
  }
  it('keeps host order and rejects nonsense', () => {
    assert.deepEqual(splitBatches(hosts(3), 2), [[1, 2], [3]]);
    assert.deepEqual(splitBatches([], 2), []);
    assert.throws(() => batchSize('lots', 3), /neither a number nor a percentage/);
    assert.throws(() => batchSize(-1, 3), /not a whole number/);
    assert.throws(() => batchSize(1.5, 3), /not a whole number/);
  });
});

describe('max_fail_percentage', () => {
  it('is exceeded only when strictly more than the percentage failed', () => {
    assert.equal(maxFailExceeded(3, 10, 30), false);
    assert.equal(maxFailExceeded(4, 10, 30), true);
    assert.equal(maxFailExceeded(1, 100, 0), true);
    assert.equal(maxFailExceeded(0, 10, 0), false);
    assert.equal(maxFailExceeded(10, 10, undefined), false);
  });
});

describe('run directory names', () => {
  it('slugs and stamps', () => {
    assert.equal(slug('Collect: ps aux | wc -l'), 'collect-ps-aux-wc-l');
    assert.equal(slug('../../etc'), 'etc');
    assert.equal(stepFileBase(3, 'collect', 'List Processes'), '03-collect-list-processes');
    assert.equal(utcStamp(Date.UTC(2024, 0, 31, 10, 15, 0, 123)), '20240131T101500Z');
  });
});

describe('output throttle', () => {
  it('emits whole lines, cut to width, capped per step with a marker', () => {
    const got: string[] = [];
    const t = new OutputThrottle(
      { linesPerStep: 3, lineChars: 5 },
      (s, text) => got.push(`${s}:${text}`),
      'hosts/a/01.stdout',
    );
    t.push('stdout', 'ab');
    t.push('stdout', 'c\n1234567\n');
    t.push('stderr', 'err\nx\ny\n');
    t.end();
    assert.deepEqual(got, [
      'stdout:abc',
      'stdout:12345…',
      'stderr:err',
      'stderr:… output capped at 3 lines; full output in hosts/a/01.stdout',
    ]);
  });
});
