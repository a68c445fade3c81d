/**
 * A scenario file (`scenarios/<name>.yaml`): a bash script that plants a compromise on a lab host,
 * an optional script the attacker namespace runs against it, and the ground truth — the indicators a
 * responder must find, each with a shell check that holds on the planted host and fails on a clean one.
 */
import { z } from 'zod';

export const indicatorSpec = z.strictObject({
  /** Stable id, unique in the scenario: `dropper-process`. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  /** What it is: user, process, network, persistence, file, log, package, session, resource. */
  kind: z.enum(['user', 'process', 'network', 'persistence', 'file', 'log', 'package', 'session', 'resource']),
  /** The finding kind (src/core/finding.ts) that should reveal it; drill scoring matches on it. */
  finding: z.string().optional(),
  description: z.string(),
  /** Machine-readable values (user, pid, path, sha256, address, port, pattern…); `{{fact}}` is replaced by planted facts. */
  match: z.record(z.string(), z.union([z.string(), z.number()])),
  /** bash run inside the host, facts as $FACT_<NAME>: exit 0 when the indicator is present. */
  check: z.string(),
});

export const scenarioSpec = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  description: z.string(),
  /** What this scenario simulates instead of doing for real, and why. Required honesty, not decoration. */
  simulated: z.string().optional(),
  /**
   * bash run as root inside the host. Environment: LAB_HOST, LAB_ADDRESS, LAB_CONTROLLER, LAB_ATTACKER,
   * LAB_PEERS (other hosts' addresses), LAB_ATTACKER_PUBKEY, LAB_LIFETIME_SEC. Lines `fact NAME VALUE` on
   * stdout become facts. Long-running processes must detach (`setsid -f … </dev/null >/dev/null 2>&1`).
   */
  plant: z.string(),
  /**
   * Programs the plant, attack and check scripts run beyond what every lab host has (src/lab/programs.ts),
   * each with its Debian package: `crontab: cron`. The lab's preflight checks them before anything boots.
   */
  requires: z
    .record(
      z.string().regex(/^[A-Za-z0-9._+-]+$/, 'a program name'),
      z.string().regex(/^[a-z0-9][a-z0-9.+-]+$/, 'a Debian package name'),
    )
    .default({}),
  /** bash run in the attacker namespace after `plant`, same environment plus FACT_*, LAB_ATTACKER_KEY. */
  attack: z.string().optional(),
  truth: z.array(indicatorSpec),
});

export type ScenarioSpec = z.infer<typeof scenarioSpec>;
export type IndicatorSpec = z.infer<typeof indicatorSpec>;
