/**
 * The command a fact's parser is tested on is the command a host runs: every item `collect` plans,
 * every artifact of `rootkit_scan` and `verify_packages`, and `isolate`'s snapshots are taken from
 * fact objects. Each fact's command is valid POSIX sh; the harmless ones run here and parse.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
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
  capFunction,
  capStream,
  catCapped,
  runEach,
  clockFact,
  deletedFact,
  moduleCrosscheckFact,
  procNetFact,
  type AnyFact,
} from '../../src/facts/index.js';
import { ARTIFACT_SET_NAMES, ARTIFACT_SETS, DEFAULT_SET_NAMES, HEAVY_SET_NAMES } from '../../src/steps/collect-sets.js';
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

  it("collect plans each fact's own command or file, heavy items with their own longer timeout", () => {
    const actions = plan('collect', { sets: ARTIFACT_SET_NAMES, item_timeout: 30 });
    assert.equal(actions.length, COLLECTED_FACTS.length);
    actions.forEach((a, i) => {
      const fact = COLLECTED_FACTS[i] as AnyFact;
      assert.equal((a as { label: string }).label, fact.label);
      const src = sourceOf(a);
      assert.equal(src.value, fact.file === undefined ? hostCommand(fact) : fact.file, fact.label);
      assert.equal(src.kind, fact.file !== undefined ? 'file' : 'command');
      assert.equal((a as { timeoutMs: number }).timeoutMs, Math.max(30, fact.timeout ?? 0) * 1000, fact.label);
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

const REPO = path.resolve(import.meta.dirname, '../..');

/** The `sets` of every collect step of a shipped runbook (`collect: true` = the default sets). */
function collectSets(runbook: string): string[][] {
  const doc = parseYaml(readFileSync(path.join(REPO, 'runbooks', `${runbook}.yaml`), 'utf8')) as {
    phases: Record<string, { collect?: unknown }[] | { steps: { collect?: unknown }[] }>;
  };
  return Object.values(doc.phases)
    .flatMap((p) => (Array.isArray(p) ? p : p.steps))
    .filter((step) => step.collect !== undefined)
    .map((step) =>
      step.collect === true
        ? [...DEFAULT_SET_NAMES]
        : ((step.collect as { sets?: string[] }).sets ?? DEFAULT_SET_NAMES),
    );
}

describe('facts: heavy sets are selectable, off in triage, on in the incident runbooks', () => {
  const heavy = COLLECTED_FACTS.filter((f) => HEAVY_SET_NAMES.some((s) => f.label.startsWith(`${s}/`)));

  it('the heavy sets come last and each of their items has its own timeout', () => {
    assert.deepEqual(ARTIFACT_SET_NAMES.slice(-HEAVY_SET_NAMES.length), [...HEAVY_SET_NAMES]);
    assert.ok(heavy.length >= 9);
    for (const f of heavy) assert.ok((f.timeout ?? 0) >= 600, `${f.label} has a timeout`);
    for (const f of COLLECTED_FACTS.filter((x) => !heavy.includes(x))) assert.equal(f.timeout, undefined, f.label);
  });

  it('collect: true and collect without sets plan no heavy item', () => {
    for (const params of [true, {}]) {
      const labels = plan('collect', params).map((a) => (a as { label: string }).label);
      assert.equal(labels.length, COLLECTED_FACTS.length - heavy.length);
      assert.ok(!labels.some((l) => heavy.some((f) => f.label === l)));
    }
  });

  it('triage collects no heavy set; outbound-ssh-attack and compromised-host collect both', () => {
    assert.ok(
      !collectSets('triage')
        .flat()
        .some((s) => HEAVY_SET_NAMES.includes(s as never)),
    );
    for (const runbook of ['outbound-ssh-attack', 'compromised-host']) {
      const sets = collectSets(runbook).flat();
      for (const s of ARTIFACT_SET_NAMES) assert.ok(sets.includes(s), `${runbook} collects ${s}`);
    }
  });
});

describe('facts: shell snippets are bounded and say so', () => {
  const sh = (command: string): string => {
    const r = spawnSync(shell, ['-c', command], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };

  it('capStream passes short input whole and marks a cut', () => {
    assert.equal(sh(`printf 'abc' | ${capStream(3)}`), 'abc');
    assert.equal(sh(`printf 'abcd' | ${capStream(3)}`), 'abc\n# truncated at 3 bytes\n');
    assert.equal(sh(`printf 'abc\n\n' | ${capStream(4)}`), 'abc\n\n# truncated at 4 bytes\n');
  });

  it('cap and catCapped cut a file and record its size', () => {
    assert.match(sh(`${capFunction(4)}; cap /etc/passwd`), /^[^\n]{4}\n# truncated at 4 bytes of \d+\n$/);
    const out = sh(`${catCapped(['/etc/passwd'], 5)}`);
    assert.match(out, /^==> \/etc\/passwd <==\n.{5}\n# truncated at 5 bytes of \d+\n/);
  });

  it('runEach heads each command and names a missing program', () => {
    assert.equal(
      sh(runEach(['echo hi', 'no-such-program-fb --x'])),
      '==> echo hi <==\nhi\n\n# absent: no-such-program-fb\n',
    );
  });

  it('the clock, /proc/net, deleted-file and module cross-check commands run here', () => {
    assert.match(sh(clockFact.command as string), /^local: \d{4}-\d\d-\d\dT.*\nutc: .*epoch: \d+\n/);
    assert.match(sh(procNetFact.command as string), /==> \/proc\/net\/tcp <==/);
    assert.match(sh(deletedFact.command as string), /^kind\tpath\ttarget\tsize\tsha256\n/);
    assert.match(sh(moduleCrosscheckFact.command as string), /# \d+ loadable modules in \/sys\/module/);
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
