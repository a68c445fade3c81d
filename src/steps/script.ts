/**
 * `script`: upload a local script (path relative to the runbook), run it with arguments, remove it.
 * The removal is part of the same remote shell (an EXIT trap plus an explicit rm), so it happens when the
 * script fails, and also when the step timeout sends TERM/HUP/INT.
 */
import path from 'node:path';
import { z } from 'zod';
import { quote, quoteArgs } from '../core/index.js';
import { defineStepType, envSchema } from './define.js';
import { withCwdAndEnv } from './shell.js';

const object = z.strictObject({
  src: z.string().min(1).describe('Local script, relative to the runbook file'),
  args: z
    .array(z.union([z.string(), z.number(), z.boolean()]).transform(String))
    .optional()
    .describe('Arguments, each passed as one argv entry'),
  executable: z.string().min(1).optional().describe('Interpreter to run the script with (default: its shebang)'),
  chdir: z.string().min(1).optional(),
  env: envSchema.optional(),
});

/** The remote shell snippet: run `tmp` and always remove it, keeping the script's exit code. */
export function runAndRemove(tmp: string, argv: string): string {
  const qt = quote(tmp);
  const cleanup = quote(`rm -f -- ${qt}`);
  return `trap ${cleanup} EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM; ${argv}; rc=$?; rm -f -- ${qt}; exit $rc`;
}

export const script = defineStepType({
  type: 'script',
  description: 'Upload a local script, run it with arguments, and remove it (also when it fails)',
  schema: z
    .union([
      z
        .string()
        .min(1)
        .transform((src) => ({ src })),
      object,
    ])
    .pipe(object),
  shellFields: [],
  changes: false,
  plan(p, ctx) {
    const localPath = path.resolve(ctx.runbookDir, p.src);
    const argv = [
      ...(p.executable ? [quote(p.executable)] : []),
      quote(ctx.remoteTmp),
      ...(p.args?.length ? [quoteArgs(p.args)] : []),
    ].join(' ');
    const inner = withCwdAndEnv(runAndRemove(ctx.remoteTmp, argv), p.chdir, p.env);
    return [
      { kind: 'put', localPath, remotePath: ctx.remoteTmp, mode: 0o700 },
      { kind: 'exec', command: `sh -c ${quote(inner)}` },
    ];
  },
});
