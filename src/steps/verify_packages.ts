/**
 * `verify_packages`: package integrity with whatever the host has — `rpm -V`, `dpkg --verify`, or
 * `debsums -c` — by default over the packages an attacker tampers with (coreutils, procps, openssh,
 * util-linux, login, sudo…), or over everything with `all: true` (slow, and noisy on hosts where
 * tools updated themselves in place). The script and its parser are the `packages/verify` fact.
 */
import { z } from 'zod';
import { wrapEvidence } from '../core/index.js';
import { packageVerifyFact } from '../facts/index.js';
import { analyzeOutputs } from './collect-analyze.js';
import { defineStepType } from './define.js';

/** The fact's command for these params: its default one unless packages or `all` are given. */
export function verifyPackagesCommand(p: { packages?: string[]; all: boolean }): string {
  const fact = packageVerifyFact;
  if (p.all) return fact.commandFor?.('all') ?? '';
  if (p.packages) return fact.commandFor?.(p.packages) ?? '';
  return fact.command ?? '';
}

export const verifyPackages = defineStepType({
  type: 'verify_packages',
  description: 'Verify installed packages (rpm -V / dpkg --verify / debsums -c); changed binaries become findings',
  schema: z.union([
    z.strictObject({
      packages: z
        .array(z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/, 'a package name'))
        .optional()
        .describe('Packages to verify (default: the ones rootkits tamper with)'),
      all: z.boolean().default(false).describe('Verify every installed package (slow)'),
    }),
    z.literal(true).transform(() => ({ all: false }) as { packages?: string[]; all: boolean }),
  ]),
  shellFields: [],
  changes: false,
  rerunSafe: true,
  plan(p) {
    const script = verifyPackagesCommand(p);
    return [
      {
        kind: 'evidence',
        label: packageVerifyFact.label,
        source: { kind: 'command', value: script },
        command: wrapEvidence(script, true),
      },
    ];
  },
  analyze(_p, outputs, ctx) {
    return analyzeOutputs(ctx.host, outputs);
  },
});
