/**
 * The built-in artifact sets of `collect`: the collected facts (src/facts/all.ts) grouped by the
 * first word of their labels, in the registry's order of volatility (RFC 3227). Every item is a
 * fact object, so the command planned here is the one the fact's parser was tested on.
 *
 * `files` and `timeline` are heavy (copies of files up to gigabytes, walks of every local
 * filesystem): a step collects them only when its `sets` name them, so `collect: true` (the
 * read-only triage runbook) leaves them out and the incident runbooks list them.
 */

import { fileMetadata, quote, wrapEvidence, type Action } from '../core/index.js';
import { COLLECTED_FACTS, hostCommand, type Fact } from '../facts/index.js';

/** One artifact: a fact, or one of the user's extra commands and files (no parser). */
export type ArtifactItem = Pick<Fact, 'label' | 'command' | 'file' | 'requires' | 'timeout'>;

const SET_NAMES = ['processes', 'network', 'users', 'system', 'persistence', 'logs', 'files', 'timeline'] as const;
export type ArtifactSetName = (typeof SET_NAMES)[number];
/** Every set, in order of volatility. */
export const ARTIFACT_SET_NAMES: ArtifactSetName[] = [...SET_NAMES];
/** The sets that copy files or walk every filesystem: only collected when named. */
export const HEAVY_SET_NAMES: readonly ArtifactSetName[] = ['files', 'timeline'];
/** What `collect: true` and a `collect` without `sets` gather: every set but the heavy ones. */
export const DEFAULT_SET_NAMES: ArtifactSetName[] = SET_NAMES.filter((s) => !HEAVY_SET_NAMES.includes(s));

export const ARTIFACT_SETS = {} as Record<ArtifactSetName, readonly ArtifactItem[]>;
for (const set of SET_NAMES) ARTIFACT_SETS[set] = COLLECTED_FACTS.filter((f) => f.label.startsWith(`${set}/`));

/** The evidence action that collects one item: a file as is, or a command's output with its stderr. */
export function itemAction(i: ArtifactItem, timeoutMs?: number): Action {
  const limit = {
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    // A listing of live processes would record our own collection commands running beside it.
    ...(i.label.startsWith('processes/') ? { alone: true } : {}),
  };
  if (i.file !== undefined)
    return {
      kind: 'evidence',
      label: i.label,
      source: { kind: 'file', value: i.file },
      command: wrapEvidence(`${fileMetadata(quote(i.file))}; cat -- ${quote(i.file)}`, false),
      ...limit,
    };
  const command = hostCommand(i);
  return {
    kind: 'evidence',
    label: i.label,
    source: { kind: 'command', value: command },
    command: wrapEvidence(command, true),
    ...limit,
  };
}
