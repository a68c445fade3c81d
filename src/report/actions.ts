/**
 * "Actions taken": every change the run made to a host, grouped by step type — isolations with their
 * rules, locked users, killed processes with the preserved binaries' hashes, backups, rebuilds,
 * restores, hardening — and what was rolled back. Read from the journal by `stepType`, so a step type
 * this file has never heard of still appears (under its own name) as long as it is not read-only.
 */
import { allSteps, type StepRecord } from './fold.js';
import type { RunData } from './run-data.js';
import type { ActionGroup, ActionRecord, ActionsSection, CommandSet } from './types.js';

/** Titles of the action types we know, in the order a response goes through them. */
const TITLES: ReadonlyArray<readonly [string, string]> = [
  ['isolate', 'Isolations'],
  ['lock_user', 'Locked users'],
  ['kill_process', 'Killed processes'],
  ['backup', 'Backups'],
  ['rebuild', 'Rebuilds'],
  ['restore', 'Restores'],
  ['unisolate', 'Network restored (unisolate)'],
  ['harden', 'Hardening changes'],
];
const KNOWN = new Map(TITLES);

/** Step types that only look (or only move files to the controller): not actions unless they report a change. */
const READ_ONLY = new Set([
  'collect',
  'verify_packages',
  'rootkit_scan',
  'fetch',
  'wait_for',
  'shell',
  'script',
  'upload',
]);

/** Output lines kept per action: what the step said it did. */
const OUTPUT_LINES = 12;
const ROLLBACK = /\broll(?:ed|ing)?[ -]?back\b|\brollback\b/i;

function isAction(r: StepRecord): boolean {
  if (r.skipped !== null) return false;
  if (r.type && KNOWN.has(r.type)) return true;
  // A generic step that changed the host (status `changed`), or a step type this report does not know.
  return r.outcome?.status === 'changed' || (r.type !== null && !READ_ONLY.has(r.type));
}

function record(r: StepRecord, data: RunData): ActionRecord {
  const o = r.outcome;
  const message = o?.message ?? null;
  const output = (o?.stdout ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, OUTPUT_LINES);
  return {
    host: r.host,
    hostAnchor: data.anchors.get(r.host) ?? '',
    phase: r.phase,
    step: r.step,
    type: r.type ?? 'unknown',
    status: r.unreachable ? 'unreachable' : (o?.status ?? 'running'),
    finishedAt: r.finishedAt,
    durationMs: o?.durationMs ?? null,
    commands: r.commands,
    output,
    artifacts: r.artifacts.map((a) => ({ id: a.id, label: a.label, sha256: a.sha256, size: a.size })),
    findings: r.findings.map((f) => f.summary),
    message,
    // A planned unisolate is not a rollback; a dead-man timer or a failed change putting things back is.
    rolledBack: ROLLBACK.test(message ?? '') || output.some((l) => ROLLBACK.test(l)),
    hostKey: r.hostKey,
  };
}

export function buildActions(data: RunData): ActionsSection {
  const groups = new Map<string, ActionGroup>();
  for (const [type, title] of TITLES) groups.set(type, { type, title, actions: [], commandSets: [] });
  for (const r of allSteps(data.fold)) {
    if (!isAction(r)) continue;
    const type = r.type ?? 'unknown';
    let g = groups.get(type);
    if (!g) groups.set(type, (g = { type, title: `Other changes (${type})`, actions: [], commandSets: [] }));
    g.actions.push(record(r, data));
  }
  const used = [...groups.values()].filter((g) => g.actions.length > 0);
  for (const g of used) g.commandSets = commandSets(g.actions);
  const all = used.flatMap((g) => g.actions);
  return { total: all.length, groups: used, rolledBack: all.filter((a) => a.rolledBack) };
}

/** The distinct command lists of a group's actions, each with the hosts it ran on. */
function commandSets(actions: readonly ActionRecord[]): CommandSet[] {
  const sets = new Map<string, CommandSet>();
  for (const a of actions) {
    if (!a.commands.length) continue;
    const key = JSON.stringify(a.commands);
    const set = sets.get(key) ?? { hosts: [], commands: a.commands };
    if (!set.hosts.includes(a.host)) set.hosts.push(a.host);
    sets.set(key, set);
  }
  return [...sets.values()];
}
