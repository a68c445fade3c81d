/**
 * Escape sequences from hosts (output, names an attacker chose) and from input files never reach the
 * responder's terminal raw: the plain progress lines, the recap and error messages show them escaped.
 */
import assert from 'node:assert/strict';
import { InputError, terminalSafe, type RunEvent } from '../../src/core/index.js';
import { reportError } from '../../src/cli/exit.js';
import { formatRecap, PlainRenderer, RecapCollector } from '../../src/render/index.js';

const HOSTILE = 'ok\x1b]0;pwned\x07\x1b[2J\x1b[1A\r\x9bfake prompt$ \x00end';
// eslint-disable-next-line no-control-regex -- the very characters that must not get through
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('terminal-safe output', () => {
  it('escapes every control character but newline and tab, visibly', () => {
    assert.equal(terminalSafe('a\tb\nc\x1b[31md\x07'), 'a\tb\nc\\x1b[31md\\x07');
    assert.doesNotMatch(terminalSafe(HOSTILE), RAW);
  });

  it('plain progress lines, the recap and error messages carry no raw escape sequence', () => {
    const at = '2026-12-06T10:00:00.000Z';
    const finished = {
      type: 'step.finished',
      at,
      host: 'web\x1b[2J01',
      phase: 'collect',
      step: 'ps',
      index: 1,
      outcome: { status: 'failed', rc: 1, stdout: HOSTILE, message: HOSTILE, durationMs: 5 },
    } as unknown as RunEvent;
    const written: string[] = [];
    const plain = new PlainRenderer({ write: (t: string) => written.push(t) } as never);
    plain.emit({
      type: 'finding',
      at,
      host: 'web01',
      phase: 'collect',
      step: 'ps',
      finding: { host: 'web01', kind: 'process.suspicious', severity: 'high', summary: HOSTILE, detail: {} },
    } as unknown as RunEvent);
    plain.emit(finished);
    assert.ok(written.length > 0, 'the renderer printed');
    for (const line of written) assert.doesNotMatch(line, RAW);

    const recap = new RecapCollector();
    recap.emit(finished);
    const text = formatRecap({ ...recap.data, recap: [{ host: 'web\x1b[2J01', state: 'ok' } as never], exitCode: 0 });
    assert.match(text, /fake prompt/);
    assert.doesNotMatch(text.replace(/\n/g, ''), RAW);

    let printed = '';
    reportError(new InputError(`inventory.ini:3: bad host name "${HOSTILE}"`), (t) => (printed += t));
    assert.match(printed, /\\x1b\]0;pwned\\x07/);
    assert.doesNotMatch(printed.replace(/\n/g, ''), RAW);
  });
});

describe('errors: a full disk', () => {
  it('is this machine lacking space (exit 6) naming the path, not "a bug"', () => {
    let printed = '';
    const err = Object.assign(new Error("ENOSPC: no space left on device, write '/runs/x/journal.jsonl'"), {
      code: 'ENOSPC',
      path: '/runs/x/journal.jsonl',
    });
    assert.equal(
      reportError(err, (t) => (printed += t)),
      6,
    );
    assert.match(printed, /no space left on the device writing \/runs\/x\/journal\.jsonl \(ENOSPC\)/);
    assert.doesNotMatch(printed, /bug/);
  });
});
