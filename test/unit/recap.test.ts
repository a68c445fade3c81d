import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  compressHosts,
  formatRecap,
  recapInputFromEvents,
  type RecapInput,
  type RecapOptions,
} from '../../src/render/index.js';
import { recapFromEvents } from '../../src/engine/recap.js';
import type { RunEvent } from '../../src/core/index.js';

const dir = join(import.meta.dirname, '../fixtures/recap');

describe('recap text (fixtures: test/fixtures/recap/<case>.json = input → expected)', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'hostlists.json')) {
    it(file, () => {
      const c = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        input: RecapInput;
        options?: RecapOptions;
        expected: string;
      };
      assert.equal(formatRecap(c.input, c.options), c.expected);
    });
  }
});

describe('host list compression', () => {
  const { cases } = JSON.parse(readFileSync(join(dir, 'hostlists.json'), 'utf8')) as {
    cases: Array<[string[], string]>;
  };
  for (const [names, expected] of cases) {
    it(`${names.join(',')} → ${expected}`, () => assert.equal(compressHosts(names), expected));
  }
});

describe('recap from events', () => {
  const at = '2024-01-31T10:15:00.000Z';
  const events: RunEvent[] = [
    {
      at,
      type: 'run.started',
      runId: 'r',
      runbook: 'rb',
      runDir: '/x',
      hosts: ['a', 'b'],
      phases: ['collect'],
      forks: 10,
    },
    { at, type: 'host.started', host: 'a', phase: 'collect' },
    {
      at,
      type: 'step.finished',
      host: 'a',
      phase: 'collect',
      step: 's',
      index: 1,
      outcome: { status: 'ok', durationMs: 1, stdout: 'same\n' },
    },
    {
      at,
      type: 'step.finished',
      host: 'b',
      phase: 'collect',
      step: 's',
      index: 1,
      outcome: { status: 'changed', durationMs: 1, stdout: 'same\n' },
    },
    { at, type: 'step.skipped', host: 'b', phase: 'collect', step: 't', reason: 'when' },
    {
      at,
      type: 'step.finished',
      host: 'b',
      phase: 'collect',
      step: 'u',
      index: 3,
      outcome: { status: 'failed', durationMs: 1 },
    },
    {
      at,
      type: 'host.unreachable',
      host: 'b',
      phase: 'collect',
      step: 'u',
      reason: 'closed',
      message: 'b: connection lost',
    },
    { at, type: 'host.finished', host: 'a', phase: 'collect', state: 'ok' },
    { at, type: 'host.finished', host: 'b', phase: 'collect', state: 'unreachable' },
  ];

  it('folds counts and states, an unreachable step not counted as failed', () => {
    const recap = recapFromEvents(events);
    assert.deepEqual(
      recap.map((r) => [r.host, r.state, r.ok, r.changed, r.failed, r.skipped, r.unreachable]),
      [
        ['a', 'ok', 1, 0, 0, 0, false],
        ['b', 'unreachable', 0, 1, 0, 1, true],
      ],
    );
  });

  it('collects outputs for grouping from step.finished', () => {
    const input = recapInputFromEvents([
      ...events,
      { at, type: 'run.finished', exitCode: 3, durationMs: 5, recap: recapFromEvents(events) },
    ]);
    assert.equal(input.exitCode, 3);
    assert.match(formatRecap(input), /---- a,b \(2\) ---- collect: s\nsame\n/);
  });
});

describe('recap output groups', () => {
  it('list their hosts in inventory order, whatever order they finished in', () => {
    const recap = ['web01', 'web02', 'web03'].map((host) => ({
      host,
      state: 'ok' as const,
      ok: 1,
      changed: 0,
      failed: 0,
      skipped: 0,
      ignored: 0,
      unreachable: false,
    }));
    const outputs = ['web03', 'web01', 'web02'].map((host) => ({
      host,
      phase: 'collect' as const,
      step: 'uname',
      index: 1,
      stdout: 'Linux\n',
    }));
    const text = formatRecap({ recap, outputs });
    assert.match(text, /---- web\[01-03\] \(3\) ---- collect: uname/);
    const two = formatRecap({ recap, outputs: outputs.filter((o) => o.host !== 'web02') });
    assert.match(two, /---- web\[01,03\] \(2\) ----/);
  });
});
