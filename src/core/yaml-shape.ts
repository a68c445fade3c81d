/**
 * A linear pre-scan of YAML (or JSON) text, before the yaml library sees it: the library recurses
 * per nesting level, spends about a microsecond per byte building its syntax tree and a kilobyte or
 * more per node, so 10,000 nested brackets overflow the stack and a few megabytes of `a,a,a,…` or
 * `""""…` take tens of seconds and gigabytes. The scan refuses such text at its line, in one pass.
 */
import { InputError } from './errors.js';
import { LIMITS } from './limits.js';

/** Refuse YAML text over the YAML size limit (smaller than the general one: see LIMITS.yamlBytes). */
export function checkYamlSize(text: string, file: string): void {
  const bytes = Buffer.byteLength(text);
  if (bytes > LIMITS.yamlBytes) {
    throw new InputError(
      `${file}: ${bytes} bytes of YAML, more than the ${LIMITS.yamlBytes} a YAML file may have (FIREBREAK_MAX_YAML_BYTES raises it)`,
    );
  }
}

/**
 * Refuse YAML text nested deeper than the limit or with more nodes than the node limit. Depth:
 * block indentation levels (each `- ` at the start of a line is one more) plus flow brackets outside
 * quotes and comments. Nodes, estimated from above: each line, `- `, `:`, `,`, bracket and quoted
 * scalar. Block scalars (`key: |`) are skipped, since their text is data, not structure.
 */
export function checkYamlDepth(text: string, file: string): void {
  const max = LIMITS.yamlDepth;
  const indents: number[] = [];
  let flow = 0;
  let nodes = 0;
  let quote: '"' | "'" | undefined;
  let blockScalarUnder: number | undefined; // indentation of the key whose block scalar we are in
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n] as string;
    const fail = (what: string): never => {
      throw new InputError(`${file}:${n + 1}: ${what}`);
    };
    const deep = (): never => fail(`nested more than ${max} levels deep (FIREBREAK_MAX_YAML_DEPTH raises the limit)`);
    let i = 0;
    while (line[i] === ' ') i++;
    const blank = i === line.length || line[i] === '#' || line[i] === '\r';
    if (blockScalarUnder !== undefined) {
      if (blank || i > blockScalarUnder) continue;
      blockScalarUnder = undefined;
    }
    if (blank && quote === undefined) continue;
    const indent = i;
    nodes++;
    if (flow === 0 && quote === undefined) {
      while (indents.length && (indents.at(-1) as number) >= indent) indents.pop();
      indents.push(indent);
      while (line[i] === '-' && (line[i + 1] === ' ' || i + 1 === line.length)) {
        i += 2;
        nodes++;
        while (line[i] === ' ') i++;
        indents.push(i);
      }
      if (indents.length > max) deep();
    }
    let end = line.length;
    for (; i < line.length; i++) {
      const c = line[i] as string;
      if (quote) {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) quote = undefined;
      } else if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:-]/.test(line[i - 1] as string))) {
        quote = c;
        nodes++;
      } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] as string))) {
        end = i;
        break;
      } else if (c === '[' || c === '{') {
        nodes++;
        if (++flow + indents.length > max) deep();
      } else if ((c === ']' || c === '}') && flow > 0) flow--;
      else if (c === ',' || c === ':') nodes++;
    }
    if (nodes > LIMITS.yamlNodes)
      fail(`more than ${LIMITS.yamlNodes} YAML nodes (FIREBREAK_MAX_YAML_NODES raises the limit)`);
    if (flow === 0 && quote === undefined && /(^|[\s:])[|>][-+0-9]*\s*$/.test(line.slice(0, end))) {
      blockScalarUnder = indent;
    }
  }
}
