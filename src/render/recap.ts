/**
 * The end-of-run recap, as pure functions from data to text: one row per host (failures first; in a big
 * fleet one row per outcome) and, like `dshbak -c`, identical step outputs grouped across hosts under a
 * compressed host list.
 * Grouping uses the captured head of stdout that `step.finished` carries (the full output is in the
 * run directory); it covers every step that printed something (shell, script, wait_for).
 */
import {
  terminalSafe,
  type EventSink,
  type HostRecap,
  type HostState,
  type PhaseName,
  type RunEvent,
} from '../core/index.js';
import { compressHosts } from './hostlist.js';
import { countsOf, formatGroupedHostRecap, groupHostRecap, recapNote } from './recap-groups.js';

/** One host's output of one step. */
export interface StepOutputRecord {
  host: string;
  phase: PhaseName;
  step: string;
  index: number;
  stdout: string;
}

export interface RecapInput {
  recap: HostRecap[];
  outputs: StepOutputRecord[];
  exitCode?: number;
  aborted?: string;
}

export interface RecapOptions {
  /** Output lines shown per group (default 20). */
  maxLines?: number;
  /** Distinct outputs shown per step (default 10); the rest are counted. */
  maxGroupsPerStep?: number;
  /** Leave out the grouped outputs. */
  outputs?: boolean;
  /** Above this many hosts, hosts with the same outcome share one row (default 20). */
  groupAbove?: number;
}

const RANK: Record<HostState, number> = {
  failed: 0,
  unreachable: 1,
  aborted: 2,
  running: 3,
  connecting: 3,
  pending: 4,
  ok: 5,
};

/** Collect what the recap needs while a run goes, without keeping every event. */
export class RecapCollector implements EventSink {
  readonly data: RecapInput = { recap: [], outputs: [] };
  emit(e: RunEvent): void {
    if (e.type === 'step.finished' && e.outcome.stdout) {
      this.data.outputs.push({ host: e.host, phase: e.phase, step: e.step, index: e.index, stdout: e.outcome.stdout });
    } else if (e.type === 'run.aborted') this.data.aborted = e.reason;
    else if (e.type === 'run.finished') {
      this.data.recap = e.recap;
      this.data.exitCode = e.exitCode;
    }
  }
}

export function recapInputFromEvents(events: Iterable<RunEvent>): RecapInput {
  const c = new RecapCollector();
  for (const e of events) c.emit(e);
  return c.data;
}

/**
 * The host table: failures first (failed, unreachable, aborted), then the rest, inventory order kept
 * within. A row per host up to `groupAbove` hosts; above, a row per outcome (see recap-groups.ts).
 */
export function formatHostRecap(recap: readonly HostRecap[], opts: Pick<RecapOptions, 'groupAbove'> = {}): string[] {
  const rows = recap
    .map((r, i) => ({ r, i }))
    .sort((a, b) => RANK[a.r.state] - RANK[b.r.state] || a.i - b.i)
    .map(({ r }) => r);
  if (recap.length > (opts.groupAbove ?? 20)) return formatGroupedHostRecap(groupHostRecap(rows));
  const w = Math.max(4, ...recap.map((r) => r.host.length));
  return rows.map((r) => {
    const note = recapNote(r);
    return `${r.host.padEnd(w)}  ${r.state.padEnd(11)}  ${countsOf(r)}${note !== undefined ? `  ${note}` : ''}`;
  });
}

export interface OutputGroup {
  phase: PhaseName;
  step: string;
  index: number;
  hosts: string[];
  stdout: string;
}

/**
 * Group identical outputs per step; steps in run order, bigger groups first, then first appearance.
 * With `hostOrder` (the inventory order), each group lists its hosts in that order, not finish order.
 */
export function groupOutputs(outputs: readonly StepOutputRecord[], hostOrder: readonly string[] = []): OutputGroup[] {
  const groups = new Map<string, OutputGroup>();
  for (const o of outputs) {
    const key = `${o.index}\u0000${o.step}\u0000${o.stdout}`;
    const g = groups.get(key);
    if (g) g.hosts.push(o.host);
    else groups.set(key, { phase: o.phase, step: o.step, index: o.index, hosts: [o.host], stdout: o.stdout });
  }
  const rank = new Map(hostOrder.map((h, i) => [h, i]));
  const inOrder = (hosts: string[]): string[] =>
    rank.size ? [...hosts].sort((a, b) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity)) : hosts;
  return [...groups.values()]
    .map((g, i) => ({ g: { ...g, hosts: inOrder(g.hosts) }, i }))
    .sort((a, b) => a.g.index - b.g.index || b.g.hosts.length - a.g.hosts.length || a.i - b.i)
    .map(({ g }) => g);
}

/** `dshbak -c` style text of the grouped outputs. */
export function formatOutputGroups(groups: readonly OutputGroup[], opts: RecapOptions = {}): string[] {
  const maxLines = opts.maxLines ?? 20;
  const maxGroups = opts.maxGroupsPerStep ?? 10;
  const out: string[] = [];
  const perStep = new Map<string, number>();
  const hidden = new Map<string, { groups: number; hosts: number; label: string }>();
  for (const g of groups) {
    const stepKey = `${g.index}\u0000${g.step}`;
    const label = `${g.phase}: ${g.step}`;
    const n = (perStep.get(stepKey) ?? 0) + 1;
    perStep.set(stepKey, n);
    if (n > maxGroups) {
      const h = hidden.get(stepKey) ?? { groups: 0, hosts: 0, label };
      h.groups++;
      h.hosts += g.hosts.length;
      hidden.set(stepKey, h);
      continue;
    }
    out.push(`---- ${compressHosts(g.hosts)} (${g.hosts.length}) ---- ${label}`);
    const lines = g.stdout.replace(/\n$/, '').split('\n');
    out.push(...lines.slice(0, maxLines));
    if (lines.length > maxLines) out.push(`… ${lines.length - maxLines} more line(s) in the run directory`);
  }
  for (const h of hidden.values())
    out.push(`---- … ${h.groups} more distinct output(s) from ${h.hosts} host(s) ---- ${h.label}`);
  return out;
}

/** The whole recap text. */
export function formatRecap(input: RecapInput, opts: RecapOptions = {}): string {
  const lines = ['RECAP'];
  lines.push(...formatHostRecap(input.recap, opts).map((l) => `  ${l}`));
  const bad = input.recap.filter((r) => r.state === 'failed' || r.state === 'unreachable');
  const count = (s: HostState): number => input.recap.filter((r) => r.state === s).length;
  const ended = input.recap.filter((r) => r.ended !== undefined).length;
  lines.push(
    `${input.recap.length} host(s): ${count('ok')} ok${ended ? ` (${ended} ended early by end_host)` : ''}, ${count('failed')} failed, ${count('unreachable')} unreachable, ${count('aborted')} aborted` +
      (input.exitCode !== undefined ? `; exit code ${input.exitCode}` : ''),
  );
  if (bad.length) lines.push(`failed or unreachable: ${compressHosts(bad.map((r) => r.host))}`);
  if (input.aborted) lines.push(`aborted: ${input.aborted}`);
  if (opts.outputs !== false && input.outputs.length) {
    lines.push('', 'OUTPUTS (identical outputs grouped)');
    lines.push(
      ...formatOutputGroups(
        groupOutputs(
          input.outputs,
          input.recap.map((r) => r.host),
        ),
        opts,
      ),
    );
  }
  // Host names and outputs come from the inventory and the hosts: never raw escape sequences.
  return terminalSafe(lines.join('\n')) + '\n';
}
