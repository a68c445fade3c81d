/**
 * `collect`: evidence in order of volatility, every artifact stored with its SHA-256 taken on the
 * host and again on the controller (a mismatch fails the step), then parsed into findings. Read-only
 * on the host: nothing is written there, not even a temp file.
 */
import { z } from 'zod';
import {
  ARTIFACT_SET_NAMES,
  ARTIFACT_SETS,
  DEFAULT_SET_NAMES,
  HEAVY_SET_NAMES,
  itemAction,
  type ArtifactItem,
  type ArtifactSetName,
} from './collect-sets.js';
import { defineStepType } from './define.js';
import { analyzeOutputs } from './collect-analyze.js';
import { applyKnownKeys, knownKey } from './known-keys.js';

/** Seconds one artifact may take (the step's own timeout still bounds each item too). */
const DEFAULT_ITEM_TIMEOUT = 120;

const label = z.string().regex(/^[a-z0-9][a-z0-9._/-]*$/, 'labels are lowercase words like extra/netstat');

export const collect = defineStepType({
  type: 'collect',
  description:
    'Collect evidence (built-in artifact sets + your commands and files), hashed on the host and the controller; parse into findings',
  schema: z.union([
    z.strictObject({
      sets: z
        .array(z.enum(ARTIFACT_SET_NAMES as [ArtifactSetName, ...ArtifactSetName[]]))
        .default([...DEFAULT_SET_NAMES])
        .describe(
          `Built-in artifact sets: ${ARTIFACT_SET_NAMES.join(', ')} (default: all but the heavy ${HEAVY_SET_NAMES.join(' and ')})`,
        ),
      commands: z
        .array(z.strictObject({ label, command: z.string().min(1) }))
        .default([])
        .describe('Extra commands whose output is evidence'),
      files: z.array(z.string().regex(/^\//, 'an absolute path')).default([]).describe('Extra files to collect'),
      exclude: z.array(label).default([]).describe('Labels of built-in items to leave out, e.g. logs/btmp'),
      known_keys: z
        .array(knownKey)
        .optional()
        .describe(
          'Expected SSH keys (fingerprints SHA256:… or public key lines): an authorized key not among them is high for root, medium for others',
        ),
      item_timeout: z
        .number()
        .int()
        .positive()
        .default(DEFAULT_ITEM_TIMEOUT)
        .describe(
          'Seconds one item may take (heavy items: at least their own bound); a hung one is recorded and the others still collected',
        ),
    }),
    z.literal(true).transform(() => ({
      sets: [...DEFAULT_SET_NAMES],
      commands: [] as { label: string; command: string }[],
      files: [] as string[],
      exclude: [] as string[],
      item_timeout: DEFAULT_ITEM_TIMEOUT,
    })),
  ]),
  shellFields: [],
  changes: false,
  rerunSafe: true,
  plan(p) {
    const items: ArtifactItem[] = [
      ...p.sets.flatMap((s) => ARTIFACT_SETS[s] as readonly ArtifactItem[]),
      ...p.commands,
      ...p.files.map((f) => ({ label: `files${f}`, file: f })),
    ].filter((i) => !p.exclude.includes(i.label));
    return items.map((i) => itemAction(i, Math.max(p.item_timeout, i.timeout ?? 0) * 1000));
  },
  analyze(p, outputs, ctx) {
    return applyKnownKeys(analyzeOutputs(ctx.host, outputs), 'known_keys' in p ? p.known_keys : undefined);
  },
});
