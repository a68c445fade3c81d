/**
 * Seeded assignment: the same seed gives the same scenarios and faults on the same hosts, another
 * seed another drill; counts, groups and fault targets follow the drill.
 */
import assert from 'node:assert/strict';
import {
  assignScenarios,
  planFaults,
  seededRandom,
  selectRoles,
  shuffle,
  type DrillSpec,
  type FaultSpec,
} from '../../src/drill/index.js';

const lab = (hosts: number, scenarios: Record<string, number>, compromised?: string[]): Pick<DrillSpec, 'lab'> => ({
  lab: { hosts, scenarios, ...(compromised ? { compromised } : {}) },
});

const fault = (over: Partial<FaultSpec> & Pick<FaultSpec, 'kind'>): FaultSpec =>
  ({ target: 1, among: 'all', when: { at: 'before' }, ...over }) as FaultSpec;

describe('drill: seeded randomness', () => {
  it('the same seed and purpose give the same numbers; another seed or purpose other numbers', () => {
    const draw = (seed: number | string, purpose: string): number[] => {
      const r = seededRandom(seed, purpose);
      return Array.from({ length: 5 }, () => r());
    };
    assert.deepEqual(draw(7, 'assign'), draw(7, 'assign'));
    assert.notDeepEqual(draw(7, 'assign'), draw(8, 'assign'));
    assert.notDeepEqual(draw(7, 'assign'), draw(7, 'faults'));
    assert.deepEqual(draw('game-day', 'x'), draw('game-day', 'x'));
    for (const x of draw(123, 'range')) assert.ok(x >= 0 && x < 1);
  });

  it('shuffles into a permutation', () => {
    const items = Array.from({ length: 50 }, (_, i) => i);
    const s = shuffle(items, seededRandom(1, 't'));
    assert.deepEqual(
      [...s].sort((a, b) => a - b),
      items,
    );
    assert.notDeepEqual(s, items);
  });
});

describe('drill: scenario assignment', () => {
  const spec = lab(30, { 'outbound-ssh-bruteforce': 10, 'tampered-binary': 2, clean: 15 });

  it('same seed → same assignment; different seed → different assignment', () => {
    assert.deepEqual(assignScenarios(spec, 7), assignScenarios(spec, 7));
    assert.deepEqual(assignScenarios(spec, 'x'), assignScenarios(spec, 'x'));
    const a = assignScenarios(spec, 7).roles.map((r) => r.scenario);
    const b = assignScenarios(spec, 8).roles.map((r) => r.scenario);
    assert.notDeepEqual(a, b);
  });

  it('gives each scenario its count, in the order of the shuffled hosts, and leaves the rest empty', () => {
    const { order, roles } = assignScenarios(spec, 7);
    assert.equal(order.length, 30);
    assert.deepEqual(
      [...order].sort(),
      roles.map((r) => r.host),
    );
    const count = (s: string | null): number => roles.filter((r) => r.scenario === s).length;
    assert.deepEqual(
      [count('outbound-ssh-bruteforce'), count('tampered-binary'), count('clean'), count(null)],
      [10, 2, 15, 3],
    );
    // plantScenarios fills free hosts in `order`, requests in the drill's order: the first ten hosts get the first scenario.
    for (const h of order.slice(0, 10))
      assert.equal(roles.find((r) => r.host === h)?.scenario, 'outbound-ssh-bruteforce');
    assert.ok(order.slice(0, 10).join() !== 'n001,n002,n003,n004,n005,n006,n007,n008,n009,n010', 'hosts are shuffled');
  });

  it('counts every scenario but clean as compromised, unless the drill names them', () => {
    const byDefault = assignScenarios(lab(6, { 'outbound-ssh-bruteforce': 1, 'disk-full': 1, clean: 2 }), 1).roles;
    assert.deepEqual(
      byDefault
        .filter((r) => r.compromised)
        .map((r) => r.scenario)
        .sort(),
      ['disk-full', 'outbound-ssh-bruteforce'],
    );
    const named = assignScenarios(
      lab(6, { 'outbound-ssh-bruteforce': 1, 'disk-full': 1, clean: 2 }, ['outbound-ssh-bruteforce']),
      1,
    ).roles;
    assert.deepEqual(
      named.filter((r) => r.compromised).map((r) => r.scenario),
      ['outbound-ssh-bruteforce'],
    );
  });

  it('selects hosts by group, scenario and name', () => {
    const { roles } = assignScenarios(
      lab(6, { 'outbound-ssh-bruteforce': 2, 'disk-full': 1, clean: 2 }, ['outbound-ssh-bruteforce']),
      3,
    );
    const of = (s: string | null): string[] => roles.filter((r) => r.scenario === s).map((r) => r.host);
    assert.deepEqual(selectRoles('all', roles).length, 6);
    assert.deepEqual(selectRoles('compromised', roles), of('outbound-ssh-bruteforce'));
    assert.deepEqual(
      selectRoles('non-compromised', roles).sort(),
      [...of('disk-full'), ...of('clean'), ...of(null)].sort(),
    );
    assert.deepEqual(selectRoles('clean', roles).sort(), [...of('clean'), ...of(null)].sort());
    assert.deepEqual(selectRoles('scenario:disk-full', roles), of('disk-full'));
    assert.deepEqual(selectRoles(['n002', 'n005'], roles), ['n002', 'n005']);
  });
});

describe('drill: fault targets', () => {
  const { roles } = assignScenarios(lab(10, { 'outbound-ssh-bruteforce': 3, clean: 7 }), 7);
  const faults = [
    fault({ kind: 'down', target: 2 }),
    fault({ kind: 'flaky', pct: 30, target: 1, among: 'compromised' }),
    fault({ kind: 'up', target: ['n004'] }),
  ];

  it('same seed → same hosts; different seed → different hosts', () => {
    assert.deepEqual(planFaults(faults, roles, 7), planFaults(faults, roles, 7));
    const hosts = (seed: number): string[] => planFaults(faults, roles, seed).flatMap((p) => p.hosts);
    assert.notDeepEqual(hosts(7), hosts(9));
  });

  it("draws from the fault's group, keeps named hosts, prefers hosts no earlier fault hit", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const [down, flaky, up] = planFaults(faults, roles, seed);
      assert.equal(down?.hosts.length, 2);
      assert.equal(new Set(down?.hosts).size, 2);
      assert.ok(selectRoles('compromised', roles).includes(flaky?.hosts[0] as string));
      assert.ok(!down?.hosts.includes(flaky?.hosts[0] as string), 'a second fault goes to a host the first one spared');
      assert.deepEqual(up?.hosts, ['n004']);
    }
  });

  it('says when the group has fewer hosts than asked', () => {
    const [p] = planFaults([fault({ kind: 'down', target: 5, among: 'compromised' })], roles, 1);
    assert.equal(p?.hosts.length, 3);
    assert.equal(p?.short, 2);
  });

  it('adding a fault does not change the scenario assignment', () => {
    const spec = lab(10, { 'outbound-ssh-bruteforce': 3, clean: 7 });
    assert.deepEqual(assignScenarios(spec, 7).roles, roles);
    assert.deepEqual(planFaults(faults.slice(0, 1), roles, 7)[0], planFaults(faults, roles, 7)[0]);
  });
});
