/**
 * YAML text to a document or a plain value within the input limits (src/core/limits.ts), for every
 * loader: the text is checked for size, depth and node count before the yaml library sees it, and
 * parsing stops after LIMITS.yamlErrors syntax errors, since the library spends microseconds on each
 * and broken text can hold millions. Errors always carry `linePos` (the library's pretty messages
 * cost a scan of the line per error, quadratic on one long broken line).
 */
import {
  Composer,
  isMap,
  isScalar,
  visit,
  LineCounter,
  Parser,
  YAMLParseError,
  type Document,
  type DocumentOptions,
  type ParseOptions,
  type SchemaOptions,
} from 'yaml';
import { InputError } from './errors.js';
import { checkInputSize, LIMITS, yamlGuard } from './limits.js';
import { checkYamlDepth, checkYamlSize } from './yaml-shape.js';

export type YamlOptions = ParseOptions & DocumentOptions & SchemaOptions;

/** Thrown inside the composer to stop it once the error budget is spent. */
class TooManyErrors extends Error {}

/** The size, depth and node checks alone, for loaders that report them as issues of their own. */
export function checkYamlText(text: string, file: string): void {
  checkInputSize(text, file);
  checkYamlSize(text, file);
  checkYamlDepth(text, file);
}

/**
 * `parseDocument()` of the yaml library within the limits; syntax errors are left on `doc.errors`
 * for the caller to report (at most LIMITS.yamlErrors of them, each with `linePos`). Input over a
 * limit, or with more errors than that, is an InputError naming the file (and line).
 */
export function parseYamlDocumentSafe(text: string, file: string, options: YamlOptions = {}): Document.Parsed {
  checkYamlText(text, file);
  const lineCounter = options.lineCounter ?? new LineCounter();
  const parser = new Parser(lineCounter.addNewLine);
  // The library checks unique keys by comparing every key with every other (16,000 keys: seconds);
  // duplicateKeyOffsets does it with a set, below.
  const uniqueKeys = options.uniqueKeys !== false;
  const composer = new Composer({ ...options, prettyErrors: false, uniqueKeys: false });
  // The composer reports through its `onError` property (not in its typings): count, and stop in time.
  const hooked = composer as unknown as {
    onError: (source: unknown, code: unknown, m: unknown, warning?: boolean) => void;
  };
  const report = hooked.onError;
  let errors = 0;
  let stoppedAt = 0;
  /** Counts a syntax error; past the budget, stops the parse (the library catches some throws and reports again). */
  const count = (offset: number | undefined): void => {
    if (++errors <= LIMITS.yamlErrors) return;
    if (errors === LIMITS.yamlErrors + 1) stoppedAt = offset ?? 0;
    throw new TooManyErrors();
  };
  hooked.onError = (source, code, message, warning) => {
    if (!warning)
      count(
        typeof source === 'number'
          ? source
          : Array.isArray(source)
            ? Number(source[0])
            : (source as { offset?: number }).offset,
      );
    report(source, code, message, warning);
  };
  const docs: Document.Parsed[] = [];
  const keep = (made: Iterable<Document.Parsed>) => {
    for (const d of made) docs.push(d);
  };
  // Each error costs the library an Error object with a stack trace: with none, errors are cheap.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    yamlGuard(file, () => {
      // Token by token (not compose()): the parser's own error tokens bypass onError and count here.
      for (const token of parser.parse(text)) {
        if (token.type === 'error') count(token.offset);
        keep(composer.next(token) as Iterable<Document.Parsed>);
        if (docs.length > 1) break;
      }
      if (docs.length < 2) keep(composer.end(true, text.length) as Iterable<Document.Parsed>);
    });
  } catch (err) {
    if (!(err instanceof TooManyErrors)) throw err;
    const line = lineCounter.linePos(stoppedAt).line;
    throw new InputError(
      `${file}:${line}: more than ${LIMITS.yamlErrors} YAML syntax errors by this line: is it YAML at all? (FIREBREAK_MAX_YAML_ERRORS raises the limit)`,
    );
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  const [doc, second] = docs;
  if (second && doc) {
    const where = second.range.slice(0, 2) as [number, number];
    doc.errors.push(new YAMLParseError(where, 'MULTIPLE_DOCS', 'more than one YAML document in the file'));
  }
  if (!doc) throw new InputError(`${file}: no YAML document`);
  if (uniqueKeys && !doc.errors.length)
    for (const offset of duplicateKeyOffsets(doc))
      doc.errors.push(new YAMLParseError([offset, offset + 1], 'DUPLICATE_KEY', 'Map keys must be unique'));
  doc.errors.splice(LIMITS.yamlErrors);
  for (const e of [...doc.errors, ...doc.warnings])
    e.linePos ??= [lineCounter.linePos(e.pos[0]), lineCounter.linePos(e.pos[1])];
  return doc;
}

/** A document's value within the alias limit, refused when an alias makes it contain itself. */
export function yamlValue(doc: { toJS(options: { maxAliasCount: number }): unknown }, file: string): unknown {
  return checkAcyclic(
    yamlGuard(file, () => doc.toJS({ maxAliasCount: LIMITS.yamlAliases })),
    file,
  );
}

/**
 * `x: &a [*a]` gives an array that holds itself: every later walk over the value (templates, dates,
 * JSON output) would recurse until the stack overflows. Refuse it here, naming the file.
 */
export function checkAcyclic<T>(value: T, file: string): T {
  const open = new Set<object>();
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    if (open.has(v)) throw new InputError(`${file}: a YAML alias (*name) refers to a node that contains it`);
    open.add(v);
    for (const x of v instanceof Map ? v.values() : Object.values(v)) walk(x);
    open.delete(v);
  };
  walk(value);
  return value;
}

/** `parse()` of the yaml library within the limits; the first syntax error is an InputError at file:line:col. */
export function parseYamlSafe(text: string, file: string, options: YamlOptions = {}): unknown {
  const doc = parseYamlDocumentSafe(text, file, options);
  const first = doc.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    throw new InputError(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: ${first.message.split('\n')[0]}`);
  }
  return yamlValue(doc, file);
}

/** Where each key that repeats a scalar key of the same mapping starts. */
export function duplicateKeyOffsets(doc: Document): number[] {
  const offsets: number[] = [];
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return;
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        if (seen.has(pair.key.value)) offsets.push(pair.key.range?.[0] ?? 0);
        else seen.add(pair.key.value);
      }
    },
  });
  return offsets;
}
