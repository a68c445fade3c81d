/**
 * Limits on what input may hold or expand to, so a hostile or mistaken file (a YAML alias bomb, a
 * range like `h[1:99999999]`, 10,000 nested brackets) fails at once with a clear error naming the
 * file and line, instead of hanging the controller or eating its memory. Each limit can be raised by
 * an environment variable, for the rare fleet or file that really needs more.
 */
import { InputError, type ValidationIssue } from './errors.js';

function limit(variable: string, fallback: number): number {
  const raw = process.env[variable];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

export const LIMITS = {
  /** Hosts one inventory may hold, ranges included (`FIREBREAK_MAX_HOSTS`). */
  hosts: limit('FIREBREAK_MAX_HOSTS', 100_000),
  /** Bytes of one input file: runbook, inventory, vars, drill, scenario, params, notes (`FIREBREAK_MAX_INPUT_BYTES`). */
  inputBytes: limit('FIREBREAK_MAX_INPUT_BYTES', 16 * 1024 * 1024),
  /** Nesting of mappings, sequences and brackets in a YAML or JSON file (`FIREBREAK_MAX_YAML_DEPTH`). */
  yamlDepth: limit('FIREBREAK_MAX_YAML_DEPTH', 64),
  /** Alias expansions in one YAML file (`FIREBREAK_MAX_YAML_ALIASES`): the guard against "billion laughs". */
  yamlAliases: limit('FIREBREAK_MAX_YAML_ALIASES', 1000),
  /**
   * Bytes of one YAML or JSON text (`FIREBREAK_MAX_YAML_BYTES`). Smaller than inputBytes because the
   * yaml library is slow on hostile text: about a microsecond per byte before it reports anything.
   */
  yamlBytes: limit('FIREBREAK_MAX_YAML_BYTES', 1024 * 1024),
  /** Nodes of one YAML text, estimated before parsing (`FIREBREAK_MAX_YAML_NODES`): memory and time grow with them. */
  yamlNodes: limit('FIREBREAK_MAX_YAML_NODES', 100_000),
  /**
   * Host patterns of one `--limit` (or pattern) that are not plain host names (`FIREBREAK_MAX_PATTERNS`):
   * each glob or regex is tried against every group and host, so their number multiplies the work.
   */
  patterns: limit('FIREBREAK_MAX_PATTERNS', 1000),
  /** Nesting of template blocks (`{{#if}}`, `{{#each}}`) in one runbook (`FIREBREAK_MAX_TEMPLATE_DEPTH`). */
  templateDepth: limit('FIREBREAK_MAX_TEMPLATE_DEPTH', 64),
  /** Steps of one runbook phase (`FIREBREAK_MAX_STEPS`). */
  steps: limit('FIREBREAK_MAX_STEPS', 1000),
  /**
   * Bytes of one stream of one step kept in its output file (`FIREBREAK_MAX_OUTPUT_BYTES`); past them
   * the output is counted, not kept, and the step says so. Evidence is never cut (the run directory's
   * free-space reserve guards it instead).
   */
  outputFileBytes: limit('FIREBREAK_MAX_OUTPUT_BYTES', 1024 * 1024 * 1024),
  /** Syntax errors of one YAML text before parsing stops: broken text is reported by its first ones. */
  yamlErrors: limit('FIREBREAK_MAX_YAML_ERRORS', 100),
} as const;

/** Problems listed one by one; past this many, the rest are counted in one line (a file of 16,000 bad keys). */
export const MAX_LISTED_ISSUES = 100;

/** The line that stands for the `more` problems left out after the first `listed`. */
export function moreIssues(more: number, listed: number, file?: string): ValidationIssue {
  return {
    code: 'more_issues',
    path: '',
    message: `… and ${more} more problem${more === 1 ? '' : 's'} (only the first ${listed} are listed)`,
    severity: 'error',
    ...(file ? { file } : {}),
  };
}

/** The first MAX_LISTED_ISSUES problems, and one line counting the rest. */
export function capIssues(issues: readonly ValidationIssue[], file?: string): ValidationIssue[] {
  const listed = issues.slice(0, MAX_LISTED_ISSUES);
  const more = issues.length - listed.length;
  return more > 0 ? [...listed, moreIssues(more, listed.length, file)] : listed;
}

/** Refuse input text over the size limit. */
export function checkInputSize(text: string | Buffer, file: string): void {
  const bytes = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
  if (bytes > LIMITS.inputBytes) {
    throw new InputError(
      `${file}: ${bytes} bytes, more than the ${LIMITS.inputBytes} an input file may have (FIREBREAK_MAX_INPUT_BYTES raises it)`,
    );
  }
}

/**
 * Run a YAML library call that turns a document into values, turning the library's own guards
 * (alias bomb, unresolved alias, stack overflow) into an InputError naming the file: they are
 * problems of the input, not bugs of ours.
 */
export function yamlGuard<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      const bomb = /Excessive alias count/.test(err.message);
      throw new InputError(
        bomb
          ? `${file}: its YAML aliases expand to more than ${LIMITS.yamlAliases} nodes (an alias bomb?; FIREBREAK_MAX_YAML_ALIASES raises the limit)`
          : `${file}: ${err.message.replace(/^Unresolved alias/, 'an alias names no anchor')}`,
      );
    }
    if (err instanceof RangeError) throw new InputError(`${file}: nested too deeply to read (${err.message})`);
    throw err;
  }
}
