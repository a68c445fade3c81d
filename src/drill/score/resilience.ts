/**
 * Resilience: for each injected fault, what the run did with the host it hit — counted it unreachable,
 * retried and recovered, timed out, failed it, went through unharmed — and whether the host's failure
 * stopped the run (max_fail_percentage). A fault is handled when the run ended on its own and the host
 * has a final state in the recap.
 */
import type { EventOf, RunEvent } from '../../core/index.js';
import type { FaultKind } from '../schema.js';
import type { FaultOutcome, FaultResult } from '../scorecard.js';
import { median } from './stats.js';
import { eventMs, eventsOf } from './timeline.js';

/** A fault as the injector recorded it. */
export interface FaultLogEntry {
  index: number;
  kind: FaultKind;
  host: string;
  when: string;
  value?: string;
  status: FaultResult['status'];
  injectedAt?: string;
  healedAt?: string;
  message?: string;
}

const FINAL = new Set(['ok', 'failed', 'unreachable', 'aborted']);

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Seconds the host's steps took after the fault, and what the same steps took on hosts without faults (medians). */
function slowdown(
  finished: readonly EventOf<'step.finished'>[],
  events: readonly RunEvent[],
  faulted: ReadonlySet<string>,
): { mine: number; usual: number } | undefined {
  const others = eventsOf(events, 'step.finished').filter((f) => !faulted.has(f.host));
  let mine = 0;
  let usual = 0;
  for (const f of finished) {
    const m = median(others.filter((o) => o.phase === f.phase && o.step === f.step).map((o) => o.outcome.durationMs));
    if (m === undefined) continue;
    mine += f.outcome.durationMs / 1000;
    usual += m / 1000;
  }
  return usual > 0 || mine > 0 ? { mine, usual } : undefined;
}

/**
 * @param faulted hosts any fault hit: the baseline for "slowed" is the other hosts.
 * @param stoppedByDrill set when the drill itself aborted the run (its deadline, Ctrl-C): then no
 * fault counts as handled, the run did not get to deal with it.
 */
export function scoreFault(
  entry: FaultLogEntry,
  events: readonly RunEvent[],
  stoppedByDrill?: string,
  faulted: ReadonlySet<string> = new Set([entry.host]),
): FaultResult {
  const base = { ...entry, stoppedRun: false };
  if (entry.status !== 'injected')
    return { ...base, outcome: 'not-applicable', handled: null, detail: entry.message ?? entry.status };
  const t0 = entry.injectedAt ? Date.parse(entry.injectedAt) : -Infinity;
  const mine = events.filter((e) => 'host' in e && e.host === entry.host && eventMs(e) >= t0);
  const unreachable = eventsOf(mine, 'host.unreachable')[0];
  const retries = eventsOf(mine, 'step.retrying');
  const finished = eventsOf(mine, 'step.finished');
  const recovered = retries.filter((r) =>
    finished.some(
      (f) => f.phase === r.phase && f.step === r.step && eventMs(f) >= eventMs(r) && f.outcome.status !== 'failed',
    ),
  );
  const timedOut = finished.filter((f) => f.outcome.timedOut);
  const failed = eventsOf(mine, 'host.failed')[0] ?? finished.find((f) => f.outcome.status === 'failed');
  // Steps the drill's own stop cut short: started before the run.aborted, ended (failed) after it.
  const stop = stoppedByDrill ? eventsOf(events, 'run.aborted')[0] : undefined;
  const stalled = stop
    ? finished.filter(
        (f) =>
          f.outcome.status === 'failed' &&
          eventMs(f) >= eventMs(stop) &&
          eventMs(f) - f.outcome.durationMs < eventMs(stop),
      )
    : [];
  const end = eventsOf(events, 'run.finished')[0];
  const state = end?.recap.find((r) => r.host === entry.host)?.state;

  let outcome: FaultOutcome;
  const slow = slowdown(finished, events, faulted);
  const slowed = slow !== undefined && slow.mine >= 3 * slow.usual && slow.mine - slow.usual >= 5;
  if (unreachable) outcome = 'unreachable';
  else if (timedOut.length) outcome = 'timed-out';
  else if (stalled.length) outcome = 'stalled';
  else if (failed) outcome = 'failed';
  else if (recovered.length) outcome = 'retried-and-recovered';
  else if (slowed) outcome = 'slowed';
  else if (mine.some((e) => e.type === 'step.started' || e.type === 'step.finished')) outcome = 'no-effect';
  else outcome = 'not-exercised';

  const abort = eventsOf(events, 'run.aborted').find((a) => /max_fail_percentage/.test(a.reason));
  const hostDown = unreachable ?? failed;
  const stoppedRun = abort !== undefined && hostDown !== undefined && eventMs(hostDown) <= eventMs(abort);

  const parts: string[] = [];
  if (unreachable) parts.push(`unreachable in ${unreachable.phase} (${unreachable.reason})`);
  if (retries.length)
    parts.push(
      `${count(retries.length, 'retry', 'retries')}${recovered.length ? `, ${recovered.length} recovered` : ''}`,
    );
  if (timedOut.length) parts.push(`${count(timedOut.length, 'step')} timed out (${timedOut[0]?.step})`);
  if (stalled.length)
    parts.push(
      `"${stalled[0]?.step}" was still running after ${((stalled[0]?.outcome.durationMs ?? 0) / 1000).toFixed(0)} s`,
    );
  if (failed && !unreachable && !stalled.length) parts.push(`failed at "${failed.step}"`);
  if (slow && !unreachable && !stalled.length)
    parts.push(
      `its steps took ${slow.mine.toFixed(1)} s after the fault (${slow.usual.toFixed(1)} s on hosts without faults)`,
    );
  if (stoppedRun) parts.push('stopped the run (max_fail_percentage)');
  parts.push(
    stoppedByDrill
      ? `the drill stopped the run: ${stoppedByDrill}`
      : end
        ? `host ended ${state ?? 'without a state'}`
        : 'the run did not finish',
  );
  const handled = stoppedByDrill === undefined && end !== undefined && state !== undefined && FINAL.has(state);
  return { ...base, outcome, handled, stoppedRun, detail: parts.join('; ') };
}

export function scoreResilience(
  log: readonly FaultLogEntry[],
  events: readonly RunEvent[],
  stoppedByDrill?: string,
): FaultResult[] {
  const faulted = new Set(log.filter((e) => e.status === 'injected').map((e) => e.host));
  return log.map((entry) => scoreFault(entry, events, stoppedByDrill, faulted));
}
