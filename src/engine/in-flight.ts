/**
 * A step the controller's crash caught running, decided when `resume` reaches it on its host: run it
 * again when that is safe (it only reads, or repeating it does no harm), else ask the host with the
 * step's `verify` command whether its effect is in place. A step that can do neither — or a verify
 * that cannot tell — stops its host with the reason: resume never guesses about a change to a host.
 */
import type { Become } from '../core/index.js';
import type { PlannedStep } from './planned-step.js';
import type { HostSession } from './session.js';

export type InFlightDecision =
  { kind: 'rerun'; why: string } | { kind: 'done'; why: string; output: string } | { kind: 'stop'; why: string };

/** A verify command is a question, not work: it gets a minute at most. */
const VERIFY_TIMEOUT_MS = 60_000;

export async function decideInFlight(
  planned: PlannedStep,
  session: HostSession,
  become: Become | undefined,
  signal: AbortSignal,
): Promise<InFlightDecision> {
  if (planned.rerunSafe) return { kind: 'rerun', why: `${planned.type} only reads or is safe to repeat: run again` };
  if (planned.verify === undefined)
    return {
      kind: 'stop',
      why: `a ${planned.type} step changes the host in ways firebreak cannot check, and it was running when the controller died: check the host, then run what is left in a new run`,
    };
  let out: string;
  try {
    await session.ensureConnected();
    const r = await session.t.exec(planned.verify, {
      timeoutMs: Math.min(VERIFY_TIMEOUT_MS, planned.timeoutMs),
      ...(become ? { become } : {}),
      signal,
    });
    out = r.stdout;
    if (r.timedOut) return { kind: 'stop', why: `its verify command timed out: cannot tell whether it took effect` };
  } catch (err) {
    return { kind: 'stop', why: `its verify command could not run (${(err as Error).message}): cannot tell` };
  }
  return verdictOf(out, planned.type);
}

/** The verify command's last line: `done: …`, `absent: …` or `unknown: …`; anything else cannot tell. */
export function verdictOf(output: string, type: string): InFlightDecision {
  const last = output.trimEnd().split('\n').pop()?.trim() ?? '';
  const m = /^(done|absent|unknown):\s*(.*)$/.exec(last);
  if (!m) return { kind: 'stop', why: `its verify command said nothing it could read ("${last.slice(0, 200)}")` };
  const [, verdict, what = ''] = m;
  if (verdict === 'done') return { kind: 'done', why: `verified in place: ${what}`, output };
  if (verdict === 'absent') return { kind: 'rerun', why: `verify found its effect absent (${what}): run again` };
  return { kind: 'stop', why: `verify cannot tell whether the ${type} step took effect: ${what}` };
}
