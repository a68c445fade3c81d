/**
 * Limits on what input may hold or expand to, so a hostile or mistaken file (a YAML alias bomb, a
 * range like `h[1:99999999]`, 10,000 nested brackets) fails at once with a clear error naming the
 * file and line, instead of hanging the controller or eating its memory. Each limit can be raised by
 * an environment variable, for the rare fleet or file that really needs more.
 */
import { InputError } from './errors.js';

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
} as const;

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
 * Refuse YAML (or JSON) text nested deeper than the limit, before a parser recurses into it. A linear
 * scan, line by line: block indentation levels (each `- ` at the start of a line is one more) plus
 * flow brackets outside quotes and comments; block scalars (`key: |`) are skipped, since their text
 * is data, not structure.
 */
export function checkYamlDepth(text: string, file: string): void {
  const max = LIMITS.yamlDepth;
  const indents: number[] = [];
  let flow = 0;
  let quote: '"' | "'" | undefined;
  let blockScalarUnder: number | undefined; // indentation of the key whose block scalar we are in
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] as string;
    const fail = (): never => {
      throw new InputError(
        `${file}:${n + 1}: nested more than ${max} levels deep (FIREBREAK_MAX_YAML_DEPTH raises the limit)`,
      );
    };
    let i = 0;
    while (line[i] === ' ') i++;
    const blank = i === line.length || line[i] === '#' || line[i] === '\r';
    if (blockScalarUnder !== undefined) {
      if (blank || i > blockScalarUnder) continue;
      blockScalarUnder = undefined;
    }
    if (blank && quote === undefined) continue;
    const indent = i;
    if (flow === 0 && quote === undefined) {
      while (indents.length && (indents.at(-1) as number) >= indent) indents.pop();
      indents.push(indent);
      while (line[i] === '-' && (line[i + 1] === ' ' || i + 1 === line.length)) {
        i += 2;
        while (line[i] === ' ') i++;
        indents.push(i);
      }
      if (indents.length > max) fail();
    }
    let end = line.length;
    for (; i < line.length; i++) {
      const c = line[i] as string;
      if (quote) {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) quote = undefined;
      } else if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:-]/.test(line[i - 1] as string))) quote = c;
      else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] as string))) {
        end = i;
        break;
      } else if (c === '[' || c === '{') {
        if (++flow + indents.length > max) fail();
      } else if ((c === ']' || c === '}') && flow > 0) flow--;
    }
    if (flow === 0 && quote === undefined && /(^|[\s:])[|>][-+0-9]*\s*$/.test(line.slice(0, end))) {
      blockScalarUnder = indent;
    }
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
