/**
 * What a fact is: one object carrying everything about one artifact — its label, the exact command
 * (or file) a host runs to produce it, the parser of that output and the findings drawn from the
 * parsed value. Steps take the command from here and the analysis looks the parser up here, so the
 * command a test parses the output of is the command a host runs (pyinfra's facts, one object each).
 */
import type { Finding } from '../core/index.js';

// Method signatures below on purpose: they let a registry hold facts of any value type (AnyFact).

/** Parsed values of the facts a fact needs, by name; a value is `undefined` when its artifact was not collected. */
export type NeededValues<D> = { [K in keyof D]?: D[K] };

/** The facts whose parsed values a fact's findings read, by the name the findings use. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a needed fact may itself need others
export type Needs<D> = { [K in keyof D]: Fact<D[K], any, any> };

/**
 * A read-only probe of a host.
 *
 * - `T`: the parsed value; `D`: the parsed values of other facts the findings need (e.g. the `/proc`
 *   walk joins `ps`); `A`: the argument of a fact whose command takes one (package verification).
 * - Exactly one of `command` and `file` is set.
 * - A fact without `parse` is evidence only: recorded for the responder, read by nobody here.
 */
export interface Fact<T = unknown, D = Record<string, never>, A = never> {
  /** `set/name`: the artifact's label in the evidence store (`processes/proc`); for collected facts, the set is the first word. */
  readonly label: string;
  /** The POSIX sh command whose output (stderr merged in) is the artifact: fixed text, nothing user-provided. */
  readonly command?: string;
  /** An absolute path fetched as is, instead of a command. */
  readonly file?: string;
  /** The command for another argument than the default one `command` runs (pyinfra's `command(*args)`). */
  commandFor?(arg: A): string;
  /** A program the command needs; a step runs the command only where it is installed and says so otherwise. */
  readonly requires?: string;
  /**
   * Seconds a heavy artifact (a walk of every filesystem, an archive) may take at least; `collect`
   * uses it where it is longer than the step's `item_timeout`.
   */
  readonly timeout?: number;
  /** Pure parser of the output; never throws on odd input. */
  parse?(text: string): T;
  /** Other facts whose parsed values `findings` reads (a declared join, never a lookup by label). */
  readonly needs?: Needs<D>;
  /** What the parsed value says about the host; the step that collected the artifact adds the evidence reference. */
  findings?(host: string, value: T, needed: NeededValues<D>): Finding[];
}

/** Any fact, whatever its parsed value: what the generic consumers (collect sets, analysis) hold. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFact = Fact<any, any, any>;

/** Identity with type inference: `defineFact({...})` checks the object against {@link Fact}. */
export function defineFact<T = unknown, D = Record<string, never>, A = never>(fact: Fact<T, D, A>): Fact<T, D, A> {
  return fact;
}

/** The line a {@link Fact.requires} guard prints instead of the output when the program is missing. */
export const ABSENT_PREFIX = '# absent: ';

/**
 * The command as a host runs it: guarded by `command -v` when the fact names a program it requires,
 * so a host without it records one line saying so instead of `command not found`.
 */
export function hostCommand(fact: Pick<Fact, 'command' | 'requires'>): string {
  const command = fact.command ?? '';
  if (!fact.requires) return command;
  const name = fact.requires;
  return `if command -v ${name} >/dev/null 2>&1; then ${command}; else echo "${ABSENT_PREFIX}${name} is not installed on this host"; fi`;
}
