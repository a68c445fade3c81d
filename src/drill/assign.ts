/**
 * Who gets what, decided before anything boots: scenarios to hosts and faults to hosts, drawn from the
 * drill's seed. Pure, so "same seed, same drill" is a unit test and the scorecard can show the plan.
 */
import { hostName } from '../lab/addressing.js';
import { seededRandom, shuffle, type Seed } from './random.js';
import type { DrillSpec, FaultSpec, HostSelector } from './schema.js';

/** One lab host's part in the drill. */
export interface HostRole {
  host: string;
  /** The planted scenario, or null for a host left as it booted. */
  scenario: string | null;
  /** Planted with one of the drill's compromised scenarios. */
  compromised: boolean;
}

export interface Assignment {
  /** Hosts in the order they receive scenarios (what `plantScenarios` is given). */
  order: string[];
  roles: HostRole[];
}

/** Scenarios whose hosts count as compromised: as the drill says, else every scenario but `clean`. */
export function compromisedScenarios(spec: Pick<DrillSpec, 'lab'>): string[] {
  return spec.lab.compromised ?? Object.keys(spec.lab.scenarios).filter((s) => s !== 'clean');
}

/**
 * Shuffle the hosts with the seed, then hand out scenarios in the drill's order: the first `count`
 * shuffled hosts get the first scenario, and so on; the rest get none.
 */
export function assignScenarios(spec: Pick<DrillSpec, 'lab'>, seed: Seed): Assignment {
  const hosts = Array.from({ length: spec.lab.hosts }, (_, k) => hostName(k + 1));
  const order = shuffle(hosts, seededRandom(seed, 'assign'));
  const compromised = new Set(compromisedScenarios(spec));
  const scenarioOf = new Map<string, string>();
  let next = 0;
  for (const [name, count] of Object.entries(spec.lab.scenarios)) {
    for (let k = 0; k < count; k++) scenarioOf.set(order[next++] as string, name);
  }
  const roles = hosts.map((host) => {
    const scenario = scenarioOf.get(host) ?? null;
    return { host, scenario, compromised: scenario !== null && compromised.has(scenario) };
  });
  return { order, roles };
}

/** A host counts as clean when nothing but the `clean` scenario (or nothing at all) was planted on it. */
export function isClean(role: HostRole): boolean {
  return role.scenario === null || role.scenario === 'clean';
}

/** The hosts a selector names, in host order. */
export function selectRoles(selector: HostSelector, roles: readonly HostRole[]): string[] {
  if (Array.isArray(selector)) return roles.filter((r) => selector.includes(r.host)).map((r) => r.host);
  const keep = (r: HostRole): boolean => {
    switch (selector) {
      case 'all':
        return true;
      case 'compromised':
        return r.compromised;
      case 'non-compromised':
        return !r.compromised;
      case 'clean':
        return isClean(r);
      default:
        return r.scenario === selector.slice('scenario:'.length);
    }
  };
  return roles.filter(keep).map((r) => r.host);
}

/** A fault with the hosts it will hit. */
export interface FaultPlan {
  /** Position in the drill's fault list. */
  index: number;
  spec: FaultSpec;
  hosts: string[];
  /** How many hosts fewer than asked, when `among` had too few. */
  short: number;
}

/**
 * Draw each fault's hosts from its `among` group with the seed. Hosts no earlier fault hit come first,
 * so two faults land on two hosts when they can.
 */
export function planFaults(faults: readonly FaultSpec[], roles: readonly HostRole[], seed: Seed): FaultPlan[] {
  const random = seededRandom(seed, 'faults');
  const hits = new Map<string, number>();
  return faults.map((spec, index) => {
    let hosts: string[];
    let short = 0;
    if (Array.isArray(spec.target)) hosts = [...spec.target];
    else {
      const shuffled = shuffle(selectRoles(spec.among, roles), random);
      const ranked = shuffled
        .map((h, i) => ({ h, i, used: hits.get(h) ?? 0 }))
        .sort((a, b) => a.used - b.used || a.i - b.i);
      hosts = ranked.slice(0, spec.target).map((r) => r.h);
      short = spec.target - hosts.length;
    }
    for (const h of hosts) hits.set(h, (hits.get(h) ?? 0) + 1);
    return { index, spec, hosts, short };
  });
}
