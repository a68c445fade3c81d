/**
 * The command a fact's parser is tested on is the command a host runs: every item `collect` plans,
 * every artifact of `rootkit_scan` and `verify_packages`, and `isolate`'s snapshots are taken from
 * fact objects. Each fact's command is valid POSIX sh; the harmless ones run here and parse.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { Action } from '../../src/core/index.js';
import {
  COLLECTED_FACTS,
  conntrackFact,
  conntrackTableFact,
  CRITICAL_PACKAGES,
  dfFact,
  FACTS,
  hostCommand,
  packageVerifyFact,
  psFact,
  ssTcpUdpFact,
  type AnyFact,
} from '../../src/facts/index.js';
import { ARTIFACT_SET_NAMES, ARTIFACT_SETS } from '../../src/steps/collect-sets.js';
import { getStepType, type PlanContext } from '../../src/steps/index.js';

const shell = spawnSync('dash', ['-c', 'true']).status === 0 ? 'dash' : 'sh';
const ctx: PlanContext = {
  host: { name: 'web01', vars: {}, groups: [] },
  params: {},
  registered: {},
  runbookDir: '/runbooks',
  remoteTmp: '/tmp/.firebreak-test',
};

function plan(type: string, params: unknown): Action[] {
  const t = getStepType(type);
  assert.ok(t);
  return t.plan(t.schema.parse(params), ctx);
}

const byLabel = (label: string): AnyFact | undefined => FACTS.find((f) => f.label === label);
const sourceOf = (a: Action): { kind: string; value: string } =>
  (a as { source: { kind: string; value: string } }).source;

describe('facts: the commands hosts run come from fact objects', () => {
  it('every collect set item is a collected fact, in registry order, and every collected fact is in a set', () => {
    const items = ARTIFACT_SET_NAMES.flatMap((s) => ARTIFACT_SETS[s]);
    assert.equal(items.length, COLLECTED_FACTS.length);
    items.forEach((item, i) => assert.equal(item, COLLECTED_FACTS[i], item.label));
  });

  it("collect plans each fact's own command or file", () => {
    const actions = plan('collect', true);
    assert.equal(actions.length, COLLECTED_FACTS.length);
    actions.forEach((a, i) => {
      const fact = COLLECTED_FACTS[i] as AnyFact;
      assert.equal((a as { label: string }).label, fact.label);
      const src = sourceOf(a);
      assert.equal(src.value, fact.file ?? fact.command, fact.label);
      assert.equal(src.kind, fact.file !== undefined ? 'file' : 'command');
    });
  });

  it("rootkit_scan plans its facts' commands, tools guarded by command -v", () => {
    for (const a of plan('rootkit_scan', true)) {
      const fact = byLabel((a as { label: string }).label);
      assert.ok(fact?.command, `${(a as { label: string }).label} is a fact`);
      assert.equal(sourceOf(a).value, hostCommand(fact));
      if (fact.requires) assert.ok(sourceOf(a).value.includes(`then ${fact.command}; else`));
    }
    assert.deepEqual(
      plan('rootkit_scan', true).map((a) => (a as { label: string }).label),
      ['rootkit/crosscheck', 'persistence/ld.so.preload', 'rootkit/chkrootkit', 'rootkit/rkhunter'],
    );
  });

  it("verify_packages plans the packages/verify fact's command for its arguments", () => {
    const [byDefault] = plan('verify_packages', true);
    assert.equal(sourceOf(byDefault as Action).value, packageVerifyFact.command);
    assert.equal(packageVerifyFact.command, packageVerifyFact.commandFor?.(CRITICAL_PACKAGES));
    const [two] = plan('verify_packages', { packages: ['coreutils', 'sudo'] });
    assert.equal(sourceOf(two as Action).value, packageVerifyFact.commandFor?.(['coreutils', 'sudo']));
    const [all] = plan('verify_packages', { all: true });
    assert.equal(sourceOf(all as Action).value, packageVerifyFact.commandFor?.('all'));
    assert.equal((two as { label: string }).label, packageVerifyFact.label);
  });

  it("isolate's snapshots are the ss and conntrack-table facts' commands", () => {
    const sources = plan('isolate', {}).flatMap((a) =>
      (a as { source?: { value: string } }).source ? [sourceOf(a).value] : [],
    );
    assert.ok(sources.includes(ssTcpUdpFact.command as string));
    assert.ok(sources.includes(conntrackTableFact.command as string));
  });
});

describe('facts: commands are valid sh', () => {
  for (const fact of FACTS.filter((f) => f.command !== undefined)) {
    it(`${fact.label} is valid POSIX sh${COLLECTED_FACTS.includes(fact) ? ' on one line' : ''}`, () => {
      const command = hostCommand(fact);
      if (COLLECTED_FACTS.includes(fact)) assert.ok(!command.includes('\n'), 'one line');
      const r = spawnSync(shell, ['-n', '-c', command], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    });
  }

  it('the disk, conntrack and ps commands run here and parse', () => {
    const run = (fact: AnyFact): unknown => {
      const r = spawnSync(shell, ['-c', fact.command as string], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return fact.parse?.(r.stdout);
    };
    const disks = run(dfFact) as { mount: string; measure: string }[];
    assert.ok(
      disks.some((d) => d.mount === '/' && d.measure === 'blocks') &&
        disks.some((d) => d.mount === '/' && d.measure === 'inodes'),
    );
    assert.equal(typeof (run(conntrackFact) as { droppedLines: number }).droppedLines, 'number');
    const ps = run(psFact) as { pid: number; args: string }[];
    assert.ok(ps.some((p) => p.pid === process.pid && p.args.includes('mocha')));
  });
});
