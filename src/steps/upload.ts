/** `upload`: copy a local file (relative to the runbook) to a remote path over SFTP, with an optional mode. */
import path from 'node:path';
import { z } from 'zod';
import { defineStepType } from './define.js';

export const upload = defineStepType({
  type: 'upload',
  description: 'Upload a local file (relative to the runbook) to a remote path',
  schema: z.strictObject({
    src: z.string().min(1).describe('Local file, relative to the runbook file'),
    dest: z.string().min(1).describe('Remote destination path'),
    // A string, because YAML reads `mode: 0644` as the decimal number 644.
    mode: z
      .string()
      .regex(/^0?[0-7]{3,4}$/, 'mode must be an octal string such as "0644"')
      .optional()
      .describe('Octal permissions as a string, e.g. "0644"'),
  }),
  shellFields: [],
  changes: true,
  rerunSafe: true,
  plan(p, ctx) {
    const localPath = path.resolve(ctx.runbookDir, p.src);
    return [
      p.mode !== undefined
        ? { kind: 'put', localPath, remotePath: p.dest, mode: parseInt(p.mode, 8) }
        : { kind: 'put', localPath, remotePath: p.dest },
    ];
  },
});
