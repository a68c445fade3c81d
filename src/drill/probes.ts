/**
 * The steady-state hypothesis: built-in probes checked inside lab hosts before and after the run.
 *
 * - `ssh-serves`: sshd listens on port 22 — read from the host's own /proc/net/tcp, without connecting,
 *   so the probe leaves no line in the auth.log the runbook is about to collect.
 * - `isolated-or-rebuilt`: the lab reinstalled the host during the run, or a new outbound TCP/22
 *   connection from it (to the attacker namespace) does not leave it.
 * - `no-attack-traffic`: no TCP/22 packet leaves the host during a window (default 3 s).
 */
import { readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import type { LabHostState, LabState } from '../lab/index.js';
import { selectRoles, type HostRole } from './assign.js';
import { listensOn, watchEgress } from './egress.js';
import type { HypothesisSpec, ProbeName } from './schema.js';
import type { EgressSample, ProbeHostResult, ProbeResult } from './scorecard.js';

/** When each probe is checked unless the drill says otherwise. */
const DEFAULT_AT: Record<ProbeName, readonly ('before' | 'after')[]> = {
  'ssh-serves': ['before', 'after'],
  'isolated-or-rebuilt': ['after'],
  'no-attack-traffic': ['after'],
};

export const DEFAULT_WINDOW_SECONDS = 3;

export interface ProbeContext {
  /** The lab as it is now (re-read: rebuilds change hosts). */
  state: LabState;
  roles: readonly HostRole[];
  /** Each host's generation when the drill started: higher now means the lab reinstalled it. */
  generations: ReadonlyMap<string, number>;
  /** Egress samples taken by `no-attack-traffic` are added here. */
  egress: EgressSample[];
}

function procNetTcp(initPid: number): string {
  return ['tcp', 'tcp6']
    .map((f) => {
      try {
        return readFileSync(`/proc/${initPid}/net/${f}`, 'utf8');
      } catch {
        return '';
      }
    })
    .join('\n');
}

async function sshServes(host: LabHostState): Promise<ProbeHostResult> {
  const ok = listensOn(procNetTcp(host.initPid), 22);
  return { host: host.name, ok, detail: ok ? 'sshd listens on port 22' : 'nothing listens on port 22' };
}

async function isolatedOrRebuilt(host: LabHostState, ctx: ProbeContext): Promise<ProbeHostResult> {
  const before = ctx.generations.get(host.name) ?? 0;
  if (host.generation > before)
    return { host: host.name, ok: true, detail: `rebuilt (lab generation ${before} → ${host.generation})` };
  const target = ctx.state.network.attacker;
  const r = await watchEgress(host.initPid, 1.5, target);
  return r.probe === 0
    ? { host: host.name, ok: true, detail: `isolated: a test connection to ${target}:22 did not leave the host` }
    : {
        host: host.name,
        ok: false,
        detail: `not isolated: a test connection to ${target}:22 left the host (${r.probe} packet(s))`,
      };
}

/** Watch one host's egress and record the sample. */
export async function sampleEgress(
  host: LabHostState,
  seconds: number,
  source: EgressSample['source'],
  into: EgressSample[],
): Promise<EgressSample> {
  const at = new Date().toISOString();
  const r = await watchEgress(host.initPid, seconds);
  const sample: EgressSample = {
    host: host.name,
    at,
    windowSeconds: seconds,
    packets: r.packets,
    destinations: r.destinations,
    source,
  };
  into.push(sample);
  return sample;
}

async function noAttackTraffic(host: LabHostState, ctx: ProbeContext, seconds: number): Promise<ProbeHostResult> {
  const s = await sampleEgress(host, seconds, 'hypothesis', ctx.egress);
  const to = Object.entries(s.destinations)
    .map(([a, n]) => `${a} (${n})`)
    .join(', ');
  return {
    host: host.name,
    ok: s.packets === 0,
    detail: `${s.packets} TCP/22 packet(s) left in ${seconds} s${to ? ` to ${to}` : ''}`,
  };
}

async function probeHost(
  probe: ProbeName,
  host: LabHostState,
  ctx: ProbeContext,
  window: number,
): Promise<ProbeHostResult> {
  try {
    if (probe === 'ssh-serves') return await sshServes(host);
    if (probe === 'isolated-or-rebuilt') return await isolatedOrRebuilt(host, ctx);
    return await noAttackTraffic(host, ctx, window);
  } catch (err) {
    return { host: host.name, ok: false, detail: `probe failed: ${(err as Error).message}` };
  }
}

/**
 * The hypothesis the drill checks: its own, or by default `ssh-serves` on non-compromised hosts, plus
 * the containment probes as information only (a read-only runbook is not expected to contain anything).
 */
export function effectiveHypothesis(spec: HypothesisSpec | undefined): HypothesisSpec {
  return (
    spec ?? {
      'ssh-serves': { hosts: 'non-compromised' },
      'isolated-or-rebuilt': { hosts: 'compromised', required: false },
      'no-attack-traffic': { hosts: 'all', required: false },
    }
  );
}

/** Run every probe due `at` on its hosts (hosts in parallel, probes one after another). */
export async function checkHypothesis(
  spec: HypothesisSpec,
  at: 'before' | 'after',
  ctx: ProbeContext,
): Promise<ProbeResult[]> {
  const limit = pLimit(16);
  const results: ProbeResult[] = [];
  for (const [name, p] of Object.entries(spec) as [ProbeName, NonNullable<HypothesisSpec[ProbeName]>][]) {
    if (!p) continue;
    const when = 'at' in p && p.at ? p.at : DEFAULT_AT[name];
    if (!when.includes(at)) continue;
    const window = ('window' in p ? p.window : undefined) ?? DEFAULT_WINDOW_SECONDS;
    const names = selectRoles(p.hosts, ctx.roles);
    const hosts = ctx.state.hosts.filter((h) => names.includes(h.name));
    const checked = await Promise.all(hosts.map((h) => limit(() => probeHost(name, h, ctx, window))));
    const required = ('required' in p ? p.required : undefined) ?? true;
    results.push({ probe: name, at, required, ok: checked.every((c) => c.ok), hosts: checked });
  }
  return results;
}
