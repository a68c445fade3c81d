/**
 * Planting scenarios on lab hosts: run each scenario's `plant` script inside its hosts (and its
 * `attack` script in the attacker namespace), collect the facts they print, and record the resolved
 * ground truth in lab.json.
 */
import { readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import { InputError } from '../../core/index.js';
import type { Indicator, LabHostState, LabState } from '../state.js';
import { inAttacker, inHost } from '../sys.js';
import { checkScenarioPrograms } from '../preflight.js';
import { loadScenario } from './load.js';
import type { ScenarioSpec } from './schema.js';

export interface ScenarioRequest {
  name: string;
  count: number;
}

/** `outbound-ssh-bruteforce:5,tampered-binary:2,clean` → requests (count defaults to 1). */
export function parseScenarioList(text: string): ScenarioRequest[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const m = /^([a-z0-9][a-z0-9-]*)(?::(\d+))?$/.exec(item);
      if (!m) throw new InputError(`--scenario: "${item}" is not NAME or NAME:COUNT`);
      const count = m[2] === undefined ? 1 : Number(m[2]);
      if (count < 1) throw new InputError(`--scenario: the count in "${item}" must be at least 1`);
      return { name: m[1] as string, count };
    });
}

/** Default lifetime of planted attack processes and sessions: bounded, even if nobody cleans up. */
export const DEFAULT_LIFETIME_SEC = 6 * 3600;

export function factEnv(facts: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(facts).map(([k, v]) => [`FACT_${k.toUpperCase()}`, v]));
}

function parseFacts(stdout: string): Record<string, string> {
  const facts: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^fact ([a-z][a-z0-9_]*) (.*)$/.exec(line.trim());
    if (m) facts[m[1] as string] = (m[2] as string).trim();
  }
  return facts;
}

function resolveFacts(value: string | number, facts: Record<string, string>): string | number {
  if (typeof value === 'number') return value;
  return value.replace(/\{\{\s*([a-z][a-z0-9_]*)\s*\}\}/g, (whole, name: string) => facts[name] ?? whole);
}

function scenarioEnv(state: LabState, host: LabHostState, lifetimeSec: number): Record<string, string> {
  return {
    LAB_HOST: host.name,
    LAB_ADDRESS: host.address,
    LAB_CONTROLLER: state.network.controller,
    LAB_ATTACKER: state.network.attacker,
    LAB_PEERS: state.hosts
      .filter((h) => h !== host)
      .map((h) => h.address)
      .join(' '),
    LAB_ATTACKER_PUBKEY: readFileSync(`${state.files.attackerKey}.pub`, 'utf8').trim(),
    LAB_LIFETIME_SEC: String(lifetimeSec),
  };
}

export async function plantOne(
  state: LabState,
  host: LabHostState,
  spec: ScenarioSpec,
  lifetimeSec = DEFAULT_LIFETIME_SEC,
): Promise<void> {
  const env = scenarioEnv(state, host, lifetimeSec);
  const planted = await inHost(host.initPid, `set -euo pipefail\n${spec.plant}`, env, 120_000);
  if (planted.code !== 0)
    throw new InputError(
      `scenario ${spec.name} on ${host.name}: the plant script failed (exit ${planted.code}): ${planted.stderr.trim().slice(-500)}`,
    );
  const facts = {
    address: host.address,
    attacker: state.network.attacker,
    controller: state.network.controller,
    ...parseFacts(planted.stdout),
  };
  if (spec.attack) {
    if (!state.attacker) throw new Error('the lab has no attacker namespace');
    const attacked = await inAttacker(
      state.attacker.initPid,
      `set -euo pipefail\n${spec.attack}`,
      { ...env, ...factEnv(facts), LAB_ATTACKER_KEY: state.files.attackerKey },
      120_000,
    );
    if (attacked.code !== 0)
      throw new InputError(
        `scenario ${spec.name} on ${host.name}: the attack script failed (exit ${attacked.code}): ${attacked.stderr.trim().slice(-500)}`,
      );
    Object.assign(facts, parseFacts(attacked.stdout));
  }
  const indicators: Indicator[] = spec.truth.map((t) => ({
    id: t.id,
    kind: t.kind,
    ...(t.finding ? { finding: t.finding } : {}),
    description: t.description,
    match: Object.fromEntries(Object.entries(t.match).map(([k, v]) => [k, resolveFacts(v, facts)])),
    check: t.check,
  }));
  host.scenarios.push({ scenario: spec.name, facts, indicators });
}

/**
 * Plant every request on hosts that have none yet, in host order, or in `hostOrder` (host names, e.g.
 * a drill's seeded shuffle; hosts it does not name come after, in host order).
 */
export async function plantScenarios(
  state: LabState,
  requests: ScenarioRequest[],
  lifetimeSec = DEFAULT_LIFETIME_SEC,
  hostOrder?: readonly string[],
): Promise<void> {
  const specs = new Map(requests.map((r) => [r.name, loadScenario(r.name)]));
  checkScenarioPrograms([...specs.values()]);
  const free = state.hosts.filter((h) => h.scenarios.length === 0);
  if (hostOrder) {
    const rank = (h: LabHostState): number =>
      hostOrder.includes(h.name) ? hostOrder.indexOf(h.name) : hostOrder.length;
    free.sort((a, b) => rank(a) - rank(b));
  }
  const needed = requests.reduce((n, r) => n + r.count, 0);
  if (needed > free.length)
    throw new InputError(`the scenarios need ${needed} hosts without a scenario; the lab has ${free.length}`);
  const jobs: [LabHostState, ScenarioSpec][] = [];
  for (const r of requests) {
    for (let k = 0; k < r.count; k++) jobs.push([free.shift() as LabHostState, specs.get(r.name) as ScenarioSpec]);
  }
  const limit = pLimit(8);
  await Promise.all(jobs.map(([host, spec]) => limit(() => plantOne(state, host, spec, lifetimeSec))));
}
