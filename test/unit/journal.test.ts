import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHAIN_GENESIS, lineHash, type RunEvent } from '../../src/core/index.js';
import { Journal, createRedactor, readJournal, readJournalAround } from '../../src/journal/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fb-journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const at = '2024-01-31T10:15:00.000Z';
const out = (text: string): RunEvent => ({
  at,
  type: 'step.output',
  host: 'a',
  phase: 'collect',
  step: 's',
  stream: 'stdout',
  text,
});

describe('journal', () => {
  it('has every event on disk as soon as emit returns (no in-process buffer), chained to the line before', () => {
    const path = join(dir, 'journal.jsonl');
    const j = new Journal(path);
    j.emit(out('one'));
    const first = JSON.stringify({ ...out('one'), prev: CHAIN_GENESIS });
    assert.equal(readFileSync(path, 'utf8'), `${first}\n`);
    j.emit({ at, type: 'run.aborted', reason: 'SIGINT' });
    const second = JSON.stringify({ at, type: 'run.aborted', reason: 'SIGINT', prev: lineHash(first) });
    assert.equal(readFileSync(path, 'utf8'), `${first}\n${second}\n`);
    // Readers get the events as emitted, without the link.
    assert.deepEqual(readJournal(path), [out('one'), { at, type: 'run.aborted', reason: 'SIGINT' }]);
    j.close();
    assert.throws(() => j.emit(out('late')), /closed/);
  });

  it('a burst of host outcomes (background fsyncs) and a close right after lose nothing', async () => {
    const path = join(dir, 'journal.jsonl');
    const j = new Journal(path);
    const hosts = Array.from({ length: 200 }, (_, i) => `h${i}`);
    for (const host of hosts) j.emit({ at, type: 'host.finished', host, phase: 'collect', state: 'ok' });
    j.close(); // while background fsyncs may still be queued: they must neither throw nor write
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      readJournal(path).map((e) => (e as { host?: string }).host),
      hosts,
    );
  });

  it('redacts secrets, also JSON-escaped ones, before writing', () => {
    const path = join(dir, 'journal.jsonl');
    const j = new Journal(path, { secrets: ['pa"ss\\word', 'hunter22', undefined, 'x'] });
    j.emit(out('sudo said pa"ss\\word and hunter22; x stays'));
    j.close();
    const text = readFileSync(path, 'utf8');
    assert.ok(!text.includes('hunter22') && !text.includes('ss\\\\word'), text);
    assert.equal(
      (readJournal(path)[0] as Extract<RunEvent, { type: 'step.output' }>).text,
      'sudo said *** and ***; x stays',
    );
  });

  it('reads back a journal whose last line was torn by a crash', () => {
    const path = join(dir, 'journal.jsonl');
    const j = new Journal(path, { fsync: false });
    j.emit(out('a'));
    j.emit(out('b'));
    j.close();
    appendFileSync(path, '{"at":"2024-01-31T10:15:00.000Z","type":"step.out');
    assert.deepEqual(
      readJournal(path).map((e) => (e as Extract<RunEvent, { type: 'step.output' }>).text),
      ['a', 'b'],
    );
  });

  it('refuses a corrupt line in the middle', () => {
    const path = join(dir, 'journal.jsonl');
    appendFileSync(path, `${JSON.stringify(out('a'))}\nnot json\n${JSON.stringify(out('b'))}\n`);
    assert.throws(() => readJournal(path), /journal.jsonl:2: not a journal line/);
  });

  it('reads around corrupt middle lines when asked to (a report), naming each; a torn last line is not one', () => {
    const path = join(dir, 'journal.jsonl');
    appendFileSync(path, `${JSON.stringify(out('a'))}\nnot json\n42\n${JSON.stringify(out('b'))}\n{"torn`);
    const { events, unreadable } = readJournalAround(path);
    assert.deepEqual(
      events.map((e) => (e as { text?: string }).text),
      ['a', 'b'],
    );
    assert.deepEqual(
      unreadable.map((u) => u.line),
      [2, 3],
    );
  });
});

describe('redactor', () => {
  it('replaces longer secrets first and ignores too-short ones', () => {
    const r = createRedactor(['abc', 'abcdef', 'ab']);
    assert.equal(r('xx abcdef abc ab'), 'xx *** *** ab');
  });

  // Base64 with `+` and padding, so that every base64 form differs; a space and `?>` to URL-encode.
  const SECRET = 'hunter2?>~ pw';
  const forms: Array<[string, string]> = [
    ['reversed', 'wp ~>?2retnuh'],
    ['base64', 'aHVudGVyMj8+fiBwdw=='],
    ['base64 without padding', 'aHVudGVyMj8+fiBwdw'],
    ['url-safe base64', 'aHVudGVyMj8-fiBwdw'],
    ['url-safe base64 with padding', 'aHVudGVyMj8-fiBwdw=='],
    ['hex', '68756e746572323f3e7e207077'],
    ['upper-case hex', '68756E746572323F3E7E207077'],
    ['URL-encoded', 'hunter2%3F%3E~%20pw'],
    ['form-encoded', 'hunter2%3F%3E~+pw'],
  ];
  for (const [what, form] of forms)
    it(`redacts the secret ${what}`, () => {
      assert.equal(createRedactor([SECRET])(`token=${form};`), 'token=***;');
    });

  it('redacts a byte stream as the text, whatever the chunk boundaries (a secret cut in two, UTF-8 in it)', () => {
    const secrets = ['pässwörd-1', 'token-abc'];
    const text = `a pässwörd-1 b ${Buffer.from('token-abc').toString('base64')} c token-abctoken-abc pässwörd-`;
    const whole = Buffer.from(text);
    const want = createRedactor(secrets)(text);
    for (let cut = 0; cut <= whole.length; cut++) {
      const s = createRedactor(secrets).stream!();
      const out = Buffer.concat([s.push(whole.subarray(0, cut)), s.push(whole.subarray(cut)), s.end()]);
      assert.equal(out.toString('utf8'), want, `cut at byte ${cut}`);
    }
    // One byte at a time too.
    const s = createRedactor(secrets).stream!();
    const bytes = [...whole].map((b) => s.push(Buffer.from([b])));
    assert.equal(Buffer.concat([...bytes, s.end()]).toString('utf8'), want);
    assert.equal(createRedactor([]).stream, undefined, 'no secret, no filter');
  });

  it('redacts a secret read with its surrounding whitespace (a file with a newline) when it appears trimmed', () => {
    assert.equal(createRedactor(['  s3cret-pass\n'])('pw=s3cret-pass end'), 'pw=*** end');
  });

  it('hunts no 1–3-character transform everywhere: a 3-character secret, but not its reversal or a trimmed stub', () => {
    assert.equal(createRedactor(['abc', ' xy '])('abc cba xy'), '*** cba xy');
  });

  it('stays linear in the text: 4 MB against 20 secrets and their forms in well under two seconds', () => {
    const secrets = Array.from({ length: 20 }, (_, i) => `secret-number-${i}-${'x'.repeat(i)}`);
    const r = createRedactor(secrets);
    const text = `${'lorem ipsum dolor sit amet '.repeat(150_000)}${Buffer.from(secrets[7]!).toString('base64')}`;
    const start = performance.now();
    const out = r(text);
    assert.ok(performance.now() - start < 2000, `took ${Math.round(performance.now() - start)} ms`);
    assert.ok(out.endsWith(' ***'));
  });
});
