/**
 * The drill file (`drills/*.yaml`): the lab to build, the runbook to rehearse, the faults to inject and
 * when, the steady-state hypothesis checked before and after, and the thresholds of the verdict.
 * One zod schema; the loader turns its issues into file:line messages like a runbook's.
 */
import { z } from 'zod';
import { PHASES, type PhaseName } from '../core/index.js';

const slugName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes');
const hostName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a lab host name like n003');

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** `90`, `"90s"`, `"2m"`, `"300ms"` → seconds (a bare number is seconds). */
export function durationSeconds(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = DURATION.exec(value.trim());
  if (!m) throw new Error(`"${value}" is not a duration like 30, 30s, 2m or 300ms`);
  return Number(m[1]) * (UNIT_SECONDS[m[2] ?? 's'] as number);
}

const duration = z
  .union([z.number().nonnegative(), z.string().regex(DURATION, 'a duration like 30, 30s, 2m or 300ms')])
  .transform((v) => durationSeconds(v));

/** `0.9` or `"90%"` → 0.9. */
const ratio = z
  .union([z.number().min(0).max(1), z.string().regex(/^\d+(\.\d+)?%$/, 'a ratio 0..1 or a percentage like "90%"')])
  .transform((v) => (typeof v === 'number' ? v : Number(v.slice(0, -1)) / 100))
  .refine((v) => v >= 0 && v <= 1, 'a ratio must be between 0 and 1 (0% and 100%)');

/** Host groups a selector may name; `scenario:NAME` and host name lists are the other forms. */
export const HOST_GROUPS = ['all', 'compromised', 'non-compromised', 'clean'] as const;
export type HostGroup = (typeof HOST_GROUPS)[number];

const groupSelector = z
  .string()
  .refine((s) => (HOST_GROUPS as readonly string[]).includes(s) || /^scenario:[a-z0-9][a-z0-9-]*$/.test(s), {
    message: `expected ${HOST_GROUPS.join(', ')} or scenario:NAME`,
  });

/** Which hosts: `all`, `compromised`, `non-compromised`, `clean`, `scenario:NAME`, or a list of host names. */
export const selectorSchema = z.union([groupSelector, z.array(hostName).min(1)]);
export type HostSelector = z.infer<typeof selectorSchema>;

/** When a fault is injected: before the run, when a phase starts, or T seconds after the run started. */
export type FaultWhen = { at: 'before' } | { at: 'phase'; phase: PhaseName } | { at: 'after'; seconds: number };

export function parseWhen(text: string): FaultWhen {
  if (text === 'before') return { at: 'before' };
  const phase = /^phase:(.+)$/.exec(text)?.[1];
  if (phase !== undefined) {
    if (!(PHASES as readonly string[]).includes(phase))
      throw new Error(`unknown phase "${phase}" (phases: ${PHASES.join(', ')})`);
    return { at: 'phase', phase: phase as PhaseName };
  }
  const after = /^after:(.+)$/.exec(text)?.[1];
  if (after !== undefined) return { at: 'after', seconds: durationSeconds(after) };
  throw new Error(`"${text}" is not before, phase:NAME or after:SECONDS`);
}

export function formatWhen(w: FaultWhen): string {
  return w.at === 'before' ? 'before' : w.at === 'phase' ? `phase:${w.phase}` : `after:${w.seconds}s`;
}

const when = z.string().transform((text, ctx) => {
  try {
    return parseWhen(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const faultCommon = {
  /** How many hosts, drawn at random (seeded) from `among`; or the hosts by name. */
  target: z.union([z.number().int().min(1), z.array(hostName).min(1)]).default(1),
  among: groupSelector.default('all'),
  when: when.default({ at: 'before' }),
  /** Heal the fault this long after injecting it (otherwise it lasts until the run ends). */
  for: duration.optional(),
};

export const FAULT_KINDS = ['down', 'up', 'slow', 'flaky', 'kill-sshd-mid-step', 'hang-command'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const faultSchema = z.discriminatedUnion('kind', [
  /** Stop the host's sshd (new connections are refused; open ones live on). */
  z.strictObject({ kind: z.literal('down'), ...faultCommon }),
  /** Start the host's sshd again. */
  z.strictObject({ kind: z.literal('up'), ...faultCommon }),
  /** Delay every packet of the host's link (needs tc netem). */
  z.strictObject({ kind: z.literal('slow'), ms: z.number().int().min(1).max(60_000), ...faultCommon }),
  /** Drop this percentage of the host's packets. */
  z.strictObject({ kind: z.literal('flaky'), pct: z.number().min(1).max(100), ...faultCommon }),
  /** At the host's next step start: kill its sshd and every session of it (the runner's included). */
  z.strictObject({ kind: z.literal('kill-sshd-mid-step'), ...faultCommon }),
  /** Make a command hang on the host (a wrapper earlier in PATH that sleeps): steps using it time out. */
  z.strictObject({
    kind: z.literal('hang-command'),
    command: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._+-]*$/, 'a command name like ss or ps')
      .default('ss'),
    ...faultCommon,
  }),
]);
export type FaultSpec = z.infer<typeof faultSchema>;

export const PROBES = ['ssh-serves', 'isolated-or-rebuilt', 'no-attack-traffic'] as const;
export type ProbeName = (typeof PROBES)[number];

const probeAt = z
  .union([z.enum(['before', 'after', 'both']), z.array(z.enum(['before', 'after'])).min(1)])
  .transform((v) => (v === 'both' ? (['before', 'after'] as const) : typeof v === 'string' ? [v] : v));

const probeSpec = z.union([
  selectorSchema.transform((hosts) => ({ hosts })),
  z.strictObject({
    hosts: selectorSchema,
    /** When to check: before the run, after it, or both. The default depends on the probe. */
    at: probeAt.optional(),
    /** A failed required probe fails the drill (when `thresholds.hypothesis` is on). */
    required: z.boolean().optional(),
    /** no-attack-traffic: how long to watch each host's outgoing packets. */
    window: duration.optional(),
  }),
]);

/** The steady-state hypothesis: probe name → the hosts it must hold on. */
export const hypothesisSchema = z.strictObject({
  /** sshd listens on port 22 (checked inside the host, without connecting: no trace in its auth.log). */
  'ssh-serves': probeSpec.optional(),
  /** New outbound TCP/22 connections do not leave the host, or the lab reinstalled it. */
  'isolated-or-rebuilt': probeSpec.optional(),
  /** No TCP/22 packet leaves the host during the observation window. */
  'no-attack-traffic': probeSpec.optional(),
});
export type HypothesisSpec = z.infer<typeof hypothesisSchema>;

export const thresholdsSchema = z.strictObject({
  /** Detection coverage over all planted indicators (0..1 or "90%"). */
  min_coverage: ratio.optional(),
  /** Detection coverage of every scenario on its own. */
  min_scenario_coverage: ratio.optional(),
  /** Findings of severity medium or worse on clean hosts. */
  max_false_positives: z.number().int().min(0).optional(),
  /** Seconds from run start to compromised hosts isolated. */
  max_containment_p95: duration.optional(),
  max_containment_max: duration.optional(),
  /** Compromised hosts never isolated. */
  max_uncontained: z.number().int().min(0).optional(),
  /** Outgoing TCP/22 packets seen from isolated hosts after their isolation. */
  max_attack_traffic: z.number().int().min(0).default(0),
  /** Seconds from run start to hosts restored (rebuilt when the runbook has no restore). */
  max_recovery_p95: duration.optional(),
  /** Hosts whose rebuild or restore started and did not finish. */
  max_left_broken: z.number().int().min(0).optional(),
  /** Injected faults the run did not account for (the run did not finish, or the host has no outcome). */
  max_unhandled_faults: z.number().int().min(0).default(0),
  /** Every required probe of the hypothesis holds after the run. */
  hypothesis: z.boolean().default(true),
});
export type Thresholds = z.infer<typeof thresholdsSchema>;

export const labSpecSchema = z.strictObject({
  hosts: z.number().int().min(1),
  /** Scenario name → how many hosts get it (assigned to random hosts, seeded). */
  scenarios: z.record(slugName, z.number().int().min(1)).default({}),
  /** Scenarios whose hosts count as compromised (default: every scenario but `clean`). */
  compromised: z.array(slugName).optional(),
});

export const drillSchema = z.strictObject({
  name: slugName,
  description: z.string().optional(),
  /** Replays the same assignment of scenarios and faults; `--seed` overrides it. */
  seed: z.union([z.number().int(), z.string().min(1)]).optional(),
  lab: labSpecSchema,
  /** The runbook to rehearse, relative to the drill file. */
  runbook: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  forks: z.number().int().min(1).optional(),
  /** The run is aborted after this long (default 30 minutes). */
  timeout: duration.default(1800),
  faults: z.array(faultSchema).default([]),
  hypothesis: hypothesisSchema.optional(),
  thresholds: thresholdsSchema.default({ max_attack_traffic: 0, max_unhandled_faults: 0, hypothesis: true }),
});

/** A validated drill, with paths resolved. */
export type DrillSpec = z.infer<typeof drillSchema>;
export type DrillInput = z.input<typeof drillSchema>;
