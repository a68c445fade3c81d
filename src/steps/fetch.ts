/**
 * `fetch`: download a remote file (SFTP) into this host's output directory of the run.
 * `dest` is relative to that directory and may not climb out of it.
 */
import path from 'node:path';
import { z } from 'zod';
import { defineStepType } from './define.js';

const relativeInside = (p: string) =>
  !path.posix.isAbsolute(p) && !p.split(/[\\/]+/).includes('..') && p.replace(/[\\/.]/g, '') !== '';

export const fetch = defineStepType({
  type: 'fetch',
  description: "Download a remote file into the host's output directory of the run",
  schema: z.strictObject({
    src: z.string().min(1).describe('Remote file path'),
    dest: z
      .string()
      .min(1)
      .refine(relativeInside, 'dest must be a relative path inside the host output directory (no "..")')
      .optional()
      .describe('Path under the host output directory (default: src without its leading /)'),
  }),
  shellFields: [],
  changes: false,
  rerunSafe: true,
  plan(p) {
    const localPath =
      p.dest ??
      (p.src
        .replace(/^\/+/, '')
        .split('/')
        .filter((s) => s !== '..' && s !== '.' && s !== '')
        .join('/') ||
        'fetched');
    return [{ kind: 'get', remotePath: p.src, localPath }];
  },
});
