/**
 * `shell`: run a command through the remote shell. `shell: "cmd"` is shorthand for `shell: {cmd: "cmd"}`.
 * `cmd` is a shell field: templates in it are shell-quoted by default (`{{raw x}}` for the unquoted form).
 */
import { z } from 'zod';
import { quote } from '../core/index.js';
import { defineStepType, envSchema } from './define.js';

const object = z.strictObject({
  cmd: z.string().min(1).describe('Shell command line; {{x}} is shell-quoted, {{raw x}} is not'),
  chdir: z.string().min(1).optional().describe('Run in this remote directory'),
  env: envSchema.optional(),
  stdin: z.string().optional().describe('Text written to the command’s stdin'),
});

/** Prefix `cmd` with `cd` and `export`s. Shared with `script` and `wait_for`. */
export function withCwdAndEnv(cmd: string, chdir?: string, env?: Record<string, string>): string {
  const parts: string[] = [];
  if (chdir !== undefined) parts.push(`cd -- ${quote(chdir)} || exit 1`);
  for (const [k, v] of Object.entries(env ?? {})) parts.push(`export ${k}=${quote(v)}`);
  parts.push(cmd);
  return parts.join('; ');
}

export const shell = defineStepType({
  type: 'shell',
  description: 'Run a shell command (stdout, stderr, exit code, duration are recorded)',
  schema: z
    .union([
      z
        .string()
        .min(1)
        .transform((cmd) => ({ cmd })),
      object,
    ])
    .pipe(object),
  shellFields: ['cmd'],
  changes: false,
  plan(p) {
    const command = withCwdAndEnv(p.cmd, p.chdir, p.env);
    return [p.stdin !== undefined ? { kind: 'exec', command, stdin: p.stdin } : { kind: 'exec', command }];
  },
});
