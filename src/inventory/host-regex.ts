/**
 * The regex of a `~regex` host pattern, compiled so that matching cannot hang the controller (see
 * core/bounded-regex.ts): a responder's typo must not freeze a run.
 */
import { InputError } from '../core/errors.js';
import { BoundedRegExpError, boundedRegExp, nestedRepetition } from '../core/bounded-regex.js';

export { nestedRepetition };

/**
 * `pattern` without its `~`, as Python's re.match reads it (anchored at the start only). Throws
 * InputError for a pattern that does not compile or could not be bounded. `backtracking` (tests):
 * what a runtime without the linear engine does.
 */
export function hostRegExp(pattern: string, engine: 'linear' | 'backtracking' = 'linear'): RegExp {
  const source = pattern.slice(1);
  try {
    if (engine === 'linear') return boundedRegExp(source, 'y');
    new RegExp(source, 'y');
    const nested = nestedRepetition(source);
    if (nested !== undefined) throw new BoundedRegExpError('nested', nested);
    return new RegExp(source, 'y');
  } catch (e) {
    if (!(e instanceof BoundedRegExpError)) throw new InputError(`Invalid host list pattern: ${pattern}`);
    if (e.reason === 'invalid') throw new InputError(`Invalid host list pattern: ${pattern}`);
    if (e.reason === 'unsupported')
      throw new InputError(
        `host pattern ${pattern}: backreferences, lookaround and large counted repetitions ({1000}) are not supported in a ~regex, since matching them can take exponential time; write the pattern without them`,
      );
    throw new InputError(
      `host pattern ${pattern}: the group ${e.group} repeats something that itself repeats or alternates, which can take exponential time to match; write it without the nesting`,
    );
  }
}
