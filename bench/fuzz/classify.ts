/**
 * What a case's outcome means. An InputError is the clean refusal the CLI turns into `✖ message`,
 * file:line and exit 2; any other throw (ReferenceError from the YAML library, RangeError from deep
 * recursion, SyntaxError from a regex built from input, TypeError) would reach the user as
 * "internal error, this is a bug" with exit 1, so it is a crash. Hangs are decided by the runner.
 */
import { InputError } from '../../src/core/errors.js';

/** The four outcomes of a case. */
export type Outcome =
  /** The loader refused the input with an InputError. */
  | 'clean'
  /** The loader accepted the input. */
  | 'accepted'
  /** Anything else was thrown, or the child died (out of memory, a native crash). */
  | 'crash'
  /** Over the per-case time budget; the child was killed. */
  | 'hang';

export interface Verdict {
  outcome: Outcome;
  /** `RangeError: Maximum call stack size exceeded`, for crashes; the first line of the message otherwise. */
  error?: string;
  /** A clean error whose text does not name the input file (informational). */
  unnamed?: boolean;
}

/** Classifies what a target threw (`undefined` for a target that resolved). */
export function classify(thrown: unknown, file?: string): Verdict {
  if (thrown === undefined) return { outcome: 'accepted' };
  if (thrown instanceof InputError) {
    // The head is enough to find the file name, and a message can hold a 20 MB value.
    const text = [thrown.message.slice(0, 65536), ...thrown.issues.map((i) => i.file ?? '')].join('\n');
    const error = (thrown.message.split('\n')[0] ?? '').slice(0, 300);
    return { outcome: 'clean', error, ...(file && !text.includes(file) ? { unnamed: true } : {}) };
  }
  const err = thrown instanceof Error ? thrown : new Error(String(thrown));
  return { outcome: 'crash', error: `${err.name}: ${(err.message.split('\n')[0] ?? '').slice(0, 300)}` };
}
