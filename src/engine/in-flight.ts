/**
 * A step the controller's crash caught running, decided when `resume` reaches it on its host: run it
 * again when that is safe (it only reads, or repeating it does no harm), else ask the host with the
 * step's `verify` command whether its effect is in place. A step that can do neither — or a verify
 * that cannot tell — stops its host with the reason: resume never guesses about a change to a host.
 */
import type { Become } from '../core/index.js';
import type { Clock } from './executor-types.js';
import type { PlannedStep } from './planned-step.js';
import type { HostSession } from './session.js';

export type InFlightDecision =
  { kind: 'rerun'; why: string } | { kind: 'done'; why: string; output: string } | { kind: 'stop'; why: string };

/** A verify command is a question, not work: it gets a minute at most. */
const VERIFY_TIMEOUT_MS = 60_000;
/** Times a verify may say `wait` before resume gives up on that host. */
const MAX_VERIFY_WAITS = 3;
/** After the time a verify asked to wait: the dead-man's rollback itself takes a moment. */
const WAIT_MARGIN_MS = 5_000;

export async function decideInFlight(
  planned: PlannedStep,
  session: HostSession,
  become: Become | undefined,
  signal: AbortSignal,
  clock: Clock,
): Promise<InFlightDecision> {
  if (planned.rerunSafe) return { kind: 'rerun', why: `${planned.type} only reads or is safe to repeat: run again` };
  if (planned.verify === undefined)
    return {
      kind: 'stop',
      why: `a ${planned.type} step changes the host in ways firebreak cannot check, and it was cut off while running: check the host, then run what is left in a new run (a step that is safe to run twice says \`idempotent: true\`)`,
    };
  // `wait`: the host's state changes by itself soon (a dead-man timer); ask again then, a bounded number of times.
  for (let asked = 1; ; asked++) {
    const d = await askVerify(planned, session, become, signal);
    if (d.kind !== 'wait') return d;
    if (asked >= MAX_VERIFY_WAITS || signal.aborted)
      return { kind: 'stop', why: `verify still says to wait after ${asked} tries: ${d.why}` };
    await clock.sleep(Math.min(d.seconds * 1000 + WAIT_MARGIN_MS, planned.timeoutMs), signal);
  }
}

async function askVerify(
  planned: PlannedStep,
  session: HostSession,
  become: Become | undefined,
  signal: AbortSignal,
): Promise<InFlightDecision | { kind: 'wait'; seconds: number; why: string }> {
  try {
    await session.ensureConnected();
    const r = await session.t.exec(planned.verify!, {
      timeoutMs: Math.min(VERIFY_TIMEOUT_MS, planned.timeoutMs),
      ...(become ? { become } : {}),
      signal,
    });
    if (r.timedOut) return { kind: 'stop', why: `its verify command timed out: cannot tell whether it took effect` };
    return verdictOf(r.stdout, planned.type);
  } catch (err) {
    return { kind: 'stop', why: `its verify command could not run (${(err as Error).message}): cannot tell` };
  }
}

/**
 * The verify command's last line: `done: …`, `absent: …`, `unknown: …` or `wait: N s: …`; anything
 * else cannot tell.
 */
export function verdictOf(
  output: string,
  type: string,
): InFlightDecision | { kind: 'wait'; seconds: number; why: string } {
  const last = output.trimEnd().split('\n').pop()?.trim() ?? '';
  const m = /^(done|absent|unknown|wait):\s*(.*)$/.exec(last);
  if (!m) return { kind: 'stop', why: `its verify command said nothing it could read ("${last.slice(0, 200)}")` };
  const [, verdict, what = ''] = m;
  if (verdict === 'done') return { kind: 'done', why: `verified in place: ${what}`, output };
  if (verdict === 'absent') return { kind: 'rerun', why: `verify found its effect absent (${what}): run again` };
  const wait = verdict === 'wait' ? /^(\d+) s: (.*)$/.exec(what) : null;
  if (wait) return { kind: 'wait', seconds: Number(wait[1]), why: wait[2] ?? '' };
  return { kind: 'stop', why: `verify cannot tell whether the ${type} step took effect: ${what}` };
}
