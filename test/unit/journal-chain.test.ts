import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHAIN_GENESIS, checkChain, lineHash, type RunEvent } from '../../src/core/index.js';
import { Journal, readJournal } from '../../src/journal/index.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fb-chain-'));
  path = join(dir, 'journal.jsonl');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const at = '2024-01-31T10:15:00.000Z';
const ev = (host: string): RunEvent => ({ at, type: 'host.finished', host, phase: 'collect', state: 'ok' });

/** A journal of `n` events written by the real Journal; returns its lines (without newlines). */
function write(n: number): string[] {
  const j = new Journal(path, { fsync: false });
  for (let i = 1; i <= n; i++) j.emit(ev(`h${i}`));
  j.close();
  return readFileSync(path, 'utf8').split('\n').slice(0, -1);
}

const check = (lines: string[], tail = '') => checkChain(Buffer.from(lines.map((l) => `${l}\n`).join('') + tail));
const breaks = (lines: string[]) => check(lines).breaks.map((b) => b.line);

describe('journal hash chain', () => {
  it('an intact chain: every line linked, the head is the hash of the last line', () => {
    const lines = write(5);
    const r = check(lines);
    assert.deepEqual(r.breaks, []);
    assert.equal(r.chained, true);
    assert.equal(r.lines, 5);
    assert.equal(r.torn, false);
    assert.equal(r.head, lineHash(lines[4] as string));
    assert.equal(r.bytes, readFileSync(path).length);
    assert.equal((JSON.parse(lines[0] as string) as { prev: string }).prev, CHAIN_GENESIS);
    assert.equal(check([]).head, CHAIN_GENESIS);
  });

  it('finds a deleted middle line, and a deleted first line', () => {
    const lines = write(5);
    assert.deepEqual(breaks([...lines.slice(0, 2), ...lines.slice(3)]), [3]);
    const r = check(lines.slice(1));
    assert.deepEqual(
      r.breaks.map((b) => [b.line, b.message]),
      [[1, 'the first line does not start the chain (lines before it were removed?)']],
    );
  });

  it('finds reordered lines', () => {
    const lines = write(5);
    const [a, b, c, d, e] = lines as [string, string, string, string, string];
    assert.deepEqual(breaks([a, c, b, d, e]), [2, 3, 4]);
  });

  it('finds an edited middle line at the line after it, and names both', () => {
    const lines = write(5);
    const edited = [...lines];
    edited[2] = (edited[2] as string).replace('"h3"', '"h9"');
    const r = check(edited);
    assert.deepEqual(
      r.breaks.map((b) => [b.line, b.message]),
      [[4, 'does not follow line 3: line 3 or this one was edited, or lines were removed, inserted or moved here']],
    );
    // An edit that breaks the JSON is named at the line itself too.
    edited[2] = (lines[2] as string).slice(0, 10);
    assert.deepEqual(breaks(edited), [3, 4]);
  });

  it('finds a line inserted without a link, and one inserted with a forged link', () => {
    const lines = write(3);
    assert.deepEqual(breaks([lines[0] as string, JSON.stringify(ev('evil')), ...lines.slice(1)]), [2, 3]);
    const forged = JSON.stringify({ ...ev('evil'), prev: lineHash(lines[0] as string) });
    assert.deepEqual(breaks([lines[0] as string, forged, ...lines.slice(1)]), [3]);
  });

  it('tolerates a torn last line (a crash mid-write): not counted, not a break, and readers skip it', () => {
    const lines = write(3);
    appendFileSync(path, '{"at":"2024-01-31T10:15:00.000Z","type":"host.fin');
    const r = checkChain(readFileSync(path));
    assert.deepEqual(r.breaks, []);
    assert.equal(r.torn, true);
    assert.equal(r.lines, 3);
    assert.equal(r.head, lineHash(lines[2] as string));
    assert.equal(readJournal(path).length, 3);
  });

  it('a journal written before the chain existed is reported unchained, not broken', () => {
    const r = check([JSON.stringify(ev('a')), JSON.stringify(ev('b'))]);
    assert.equal(r.chained, false);
    assert.deepEqual(r.breaks, []);
    assert.equal(r.lines, 2);
  });

  it('a journal reopened for appending continues its chain', () => {
    write(2);
    const j = new Journal(path, { fsync: false });
    j.emit(ev('h3'));
    j.close();
    const r = checkChain(readFileSync(path));
    assert.deepEqual(r.breaks, []);
    assert.equal(r.lines, 3);
  });
});
