/**
 * `rebuild`: never trust a cleaned host. Run a controller-side hook that reimages the host (a cloud
 * CLI, a provisioning tool; in the lab `firebreak lab reset {{inventory_hostname}}`), wait for it to
 * come back, accept its *new* host key for this host only and only here (journaled as
 * `hostkey.replaced`), then take a quick collect and fail if the fresh host still shows findings of
 * high severity or worse.
 */
import { z } from 'zod';
import type { Action } from '../core/index.js';
import { analyzeOutputs } from './collect-analyze.js';
import { ARTIFACT_SETS, itemAction, type ArtifactItem } from './collect-sets.js';
import { defineStepType } from './define.js';

/** What "clean" is checked against: the quick, cheap part of collect. */
const QUICK_CHECK = new Set([
  'processes/ps',
  'processes/proc',
  'network/ss-tanp',
  'users/passwd',
  'users/accounts',
  'persistence/crontabs',
  'persistence/authorized_keys',
  'persistence/ld.so.preload',
]);

export function quickCheckActions(): Action[] {
  return Object.values(ARTIFACT_SETS)
    .flatMap((items) => items as readonly ArtifactItem[])
    .filter((i) => QUICK_CHECK.has(i.label))
    .map((i) => itemAction(i));
}

export const rebuild = defineStepType({
  type: 'rebuild',
  description:
    'Reimage a host with a controller-side hook, wait for it, accept its new host key (this host, this step only), check it is clean',
  schema: z.strictObject({
    hook: z
      .string()
      .min(1)
      .describe(
        'Command run on the controller (templated; values are shell-quoted), e.g. `firebreak lab reset {{inventory_hostname}}`',
      ),
    wait_timeout: z.number().int().positive().default(600).describe('Seconds to wait for the host to come back'),
    delay: z.number().int().positive().default(5).describe('Seconds between connection attempts'),
    check: z.boolean().default(true).describe('Quick collect afterwards; fail on findings of high severity or worse'),
  }),
  shellFields: ['hook'],
  changes: true,
  // A crash mid-rebuild: the host cannot tell whether it was reimaged (the hook runs on the controller),
  // but reimaging it once more is only time: the end is the same fresh host, its data was backed up
  // before, and its new key is accepted by the step itself (the reconnect comes before any command).
  rerunSafe: true,
  plan(p) {
    return [
      { kind: 'local', command: p.hook },
      { kind: 'reconnect', timeoutMs: p.wait_timeout * 1000, delayMs: p.delay * 1000, acceptNewHostKey: true },
      ...(p.check ? quickCheckActions() : []),
    ];
  },
  analyze(_p, outputs, ctx) {
    return analyzeOutputs(ctx.host, outputs);
  },
  failOnFindings: 'high',
});
