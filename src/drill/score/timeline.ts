/**
 * The run's journal as the scorer needs it: each step of each host with its type, start, end and
 * status (step.started and step.finished joined), and the run's start.
 */
import type { EventOf, RunEvent, StepStatus } from '../../core/index.js';

export interface StepSpan {
  host: string;
  phase: string;
  step: string;
  index: number;
  /** The step type (`collect`, `isolate`…) from step.started. */
  type?: string;
  startedMs: number;
  finishedMs?: number;
  status?: StepStatus;
  timedOut?: boolean;
}

const ms = (e: RunEvent): number => Date.parse(e.at);

/** Steps in journal order. A step started but never finished (the run died) has no `finishedMs`. */
export function stepSpans(events: readonly RunEvent[]): StepSpan[] {
  const open = new Map<string, StepSpan>();
  const spans: StepSpan[] = [];
  const key = (e: { host: string; phase: string; index: number }): string => `${e.host}\0${e.phase}\0${e.index}`;
  for (const e of events) {
    if (e.type === 'step.started') {
      const span: StepSpan = {
        host: e.host,
        phase: e.phase,
        step: e.step,
        index: e.index,
        startedMs: ms(e),
        ...(e.stepType ? { type: e.stepType } : {}),
      };
      open.set(key(e), span);
      spans.push(span);
    } else if (e.type === 'step.finished') {
      const span = open.get(key(e));
      if (!span) continue; // a step that failed while being planned never started
      span.finishedMs = ms(e);
      span.status = e.outcome.status;
      span.timedOut = e.outcome.timedOut ?? false;
      open.delete(key(e));
    }
  }
  return spans;
}

/** Milliseconds of the run's start, or undefined when the journal has no run.started. */
export function runStartMs(events: readonly RunEvent[]): number | undefined {
  const e = events.find((x) => x.type === 'run.started');
  return e ? ms(e) : undefined;
}

export function eventsOf<T extends RunEvent['type']>(events: readonly RunEvent[], type: T): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.type === type);
}

/** Finished ok (or changed): the step did its job. */
export function succeeded(span: StepSpan): boolean {
  return span.status === 'ok' || span.status === 'changed';
}

export function eventMs(e: RunEvent): number {
  return ms(e);
}
