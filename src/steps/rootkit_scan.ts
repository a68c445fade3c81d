/**
 * `rootkit_scan`: chkrootkit and rkhunter when the host has them (saying so when it does not), plus
 * checks that need no tool: the cross-checks (PIDs hidden from `ps`, deleted executables) and
 * /etc/ld.so.preload. Every artifact is a fact (src/facts), planned and analyzed like `collect`'s.
 */
import { z } from 'zod';
import type { CollectedOutput, Finding } from '../core/index.js';
import { ABSENT_PREFIX, chkrootkitFact, crosscheckFact, preloadFact, rkhunterFact } from '../facts/index.js';
import { analyzeOutputs } from './collect-analyze.js';
import { itemAction } from './collect-sets.js';
import { defineStepType } from './define.js';

/** The facts this step runs: always the first two, the tools when asked. */
export const ROOTKIT_FACTS = [crosscheckFact, preloadFact] as const;
export const ROOTKIT_TOOL_FACTS = [chkrootkitFact, rkhunterFact] as const;

/** Tools that are absent are said so, once, as info findings. */
function absentTools(host: string, outputs: readonly CollectedOutput[]): Finding[] {
  return outputs
    .filter((o) => o.text.startsWith(ABSENT_PREFIX))
    .map((o) => ({
      host,
      kind: 'rootkit.warning' as const,
      severity: 'info' as const,
      summary: o.text.slice(2).trim(),
      detail: { check: 'tool-absent', tool: o.label.replace('rootkit/', '') },
    }));
}

export const rootkitScan = defineStepType({
  type: 'rootkit_scan',
  description: 'chkrootkit / rkhunter when present, plus hidden-PID, ld.so.preload and deleted-executable cross-checks',
  schema: z.union([
    z.strictObject({
      tools: z.boolean().default(true).describe('Run chkrootkit and rkhunter when installed'),
    }),
    z.literal(true).transform(() => ({ tools: true })),
  ]),
  shellFields: [],
  changes: false,
  rerunSafe: true,
  plan(p) {
    return [...ROOTKIT_FACTS, ...(p.tools ? ROOTKIT_TOOL_FACTS : [])].map((f) => itemAction(f));
  },
  analyze(_p, outputs, ctx) {
    return [...analyzeOutputs(ctx.host, outputs), ...absentTools(ctx.host, outputs)];
  },
});
