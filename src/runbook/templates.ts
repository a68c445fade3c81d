/**
 * Handlebars templates in step params, `when`, `failed_when` and `until`.
 *
 * Two private Handlebars environments (`Handlebars.create()`, the global one is never touched):
 * - text: plain output, no HTML escaping (`noEscape`).
 * - shell: `{{x}}` is quoted for the place it lands in the command (bare word, "…", '…', here-document,
 *   arithmetic: shell-values.ts), and a template where no quoting is safe is refused. Handlebars' runtime
 *   hard-wires `container.escapeExpression` to its HTML escaper (runtime.js builds the container from
 *   Utils), so we subclass the environment's JavaScriptCompiler — its documented extension point — and
 *   make `appendEscaped` call our helper instead, which leaves a marker that is quoted once the whole
 *   command is rendered. `{{raw x}}` returns a SafeString and is inserted as-is; triple-stash `{{{x}}}` /
 *   `{{& x}}` are rejected in shell fields so the raw form stays visible.
 * Both compile in strict mode: an undefined variable is an error naming the step, field and variable.
 */
import Handlebars from 'handlebars';
import { InputError } from '../core/index.js';
import { conditionHelpers, isTruthy } from './template-helpers.js';
import { substituteShellValues, templateShellProblems, valueMarker } from './shell-values.js';

export { isTruthy };

/** Where a template is, for error messages. */
export interface TemplateWhere {
  step?: string;
  /** e.g. `shell.cmd`, `when`. */
  field?: string;
}

/** A template failed to compile or render (undefined variable, bad syntax, object in a shell field). */
export class TemplateError extends InputError {
  constructor(
    message: string,
    readonly where: TemplateWhere = {},
    /** The undefined variable, when that is the problem. */
    readonly variable?: string,
  ) {
    super(
      `${where.step !== undefined ? `step "${where.step}": ` : ''}${where.field ? `${where.field}: ` : ''}${message}`,
    );
  }
}

export type TemplateMode = 'shell' | 'text';

const SHELL_HELPER = '__firebreakShellValue';

/** The values of the shell template being rendered (rendering is synchronous: one at a time). */
let collected: unknown[] | undefined;

function shellValue(value: unknown): string {
  if (value instanceof Handlebars.SafeString) {
    const text = value.toHTML();
    if (text.includes('\0')) throw new TemplateError('a shell command cannot contain a NUL byte');
    return text;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    throw new TemplateError('cannot put an object into a shell command; pick one of its fields');
  }
  if (!collected) throw new Error('shell template rendered outside renderTemplate (this is a bug)');
  collected.push(value);
  return valueMarker(collected.length - 1);
}

/** Render a compiled shell template: values are collected as markers, then quoted where they landed. */
function renderShell(fn: HandlebarsTemplateDelegate, context: object): string {
  const outer = collected;
  const values: unknown[] = [];
  collected = values;
  let text: string;
  try {
    text = fn(context);
  } finally {
    collected = outer;
  }
  try {
    return substituteShellValues(text, values);
  } catch (e) {
    throw e instanceof InputError && !(e instanceof TemplateError) ? new TemplateError(e.message) : e;
  }
}

type CompilerCtor = { prototype: Record<string, unknown>; apply(self: unknown, args: unknown): void };

function makeShellEnv(): typeof Handlebars {
  const env = Handlebars.create();
  const Base = (env as unknown as { JavaScriptCompiler: CompilerCtor }).JavaScriptCompiler;
  function ShellCompiler(this: unknown, ...a: unknown[]) {
    Base.apply(this, a);
  }
  ShellCompiler.prototype = Object.create(Base.prototype) as Record<string, unknown>;
  // Child programs (block bodies) are compiled with `new this.compiler()`: keep them on the subclass.
  ShellCompiler.prototype.compiler = ShellCompiler;
  ShellCompiler.prototype.appendEscaped = function (this: {
    pushSource(s: unknown): void;
    appendToBuffer(s: unknown[]): unknown;
    popStack(): unknown;
  }) {
    this.pushSource(this.appendToBuffer([`helpers.${SHELL_HELPER}(`, this.popStack(), ', {})']));
  };
  (env as unknown as { JavaScriptCompiler: unknown }).JavaScriptCompiler = ShellCompiler;
  env.registerHelper(
    conditionHelpers((v) => new Handlebars.SafeString(Array.isArray(v) ? v.join(' ') : String(v ?? ''))),
  );
  env.registerHelper(SHELL_HELPER, (v: unknown) => shellValue(v));
  return env;
}

function makeTextEnv(): typeof Handlebars {
  const env = Handlebars.create();
  env.registerHelper(conditionHelpers((v) => (Array.isArray(v) ? v.join(' ') : v)));
  return env;
}

const ENVS: Record<TemplateMode, typeof Handlebars> = { shell: makeShellEnv(), text: makeTextEnv() };
const cache = new Map<string, HandlebarsTemplateDelegate>();
const CACHE_MAX = 5000;

/** True when a value is a string with template syntax. */
export function isTemplate(text: unknown): text is string {
  return typeof text === 'string' && text.includes('{{');
}

/** Statements that would insert a value unquoted into a shell field without saying `raw`. */
function findUnescaped(node: unknown): boolean {
  if (!node || typeof node !== 'object') return false;
  const n = node as { type?: string; escaped?: boolean; body?: unknown[]; program?: unknown; inverse?: unknown };
  if (n.type === 'MustacheStatement' && n.escaped === false) return true;
  return [...(n.body ?? []), n.program, n.inverse].some(findUnescaped);
}

/**
 * Handlebars' strict mode only checks `{{x}}`, not helper arguments (`{{eq x 1}}`, `{{#if x}}`):
 * mark every path used as an argument strict too, so a misspelt variable is an error everywhere.
 */
function markStrictArguments(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const n = node as {
    type?: string;
    strict?: boolean;
    params?: unknown[];
    hash?: { pairs?: Array<{ value: unknown }> };
    body?: unknown[];
    program?: unknown;
    inverse?: unknown;
  };
  if (n.type === 'PathExpression') {
    n.strict = true;
    return;
  }
  for (const p of n.params ?? []) markStrictArguments(p);
  for (const pair of n.hash?.pairs ?? []) markStrictArguments(pair.value);
  for (const b of n.body ?? []) markStrictArguments(b);
  markStrictArguments(n.program);
  markStrictArguments(n.inverse);
}

function compile(source: string, mode: TemplateMode): HandlebarsTemplateDelegate {
  const key = `${mode}\0${source}`;
  let fn = cache.get(key);
  if (fn) return fn;
  const env = ENVS[mode];
  const ast = env.parse(source);
  if (mode === 'shell' && findUnescaped(ast)) {
    throw new TemplateError(
      '{{{x}}} and {{& x}} are not allowed in shell commands; use {{raw x}} for an unquoted value',
    );
  }
  if (mode === 'shell') {
    if (source.includes('\0')) throw new TemplateError('a shell command cannot contain a NUL byte');
    const problems = templateShellProblems(ast, source);
    if (problems.length) throw new TemplateError(problems.join('; '));
  }
  markStrictArguments(ast);
  fn = env.compile(ast, { strict: true, noEscape: mode === 'text' });
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(key, fn);
  return fn;
}

/** Check a template's syntax without rendering it. Returns the error message, or undefined when fine. */
export function checkTemplate(source: string, mode: TemplateMode): string | undefined {
  if (!isTemplate(source)) return undefined;
  try {
    compile(source, mode);
    return undefined;
  } catch (e) {
    return e instanceof TemplateError ? e.message : shortMessage(String((e as Error).message));
  }
}

/** Handlebars parse errors list every expected token; keep the line, the caret and what was found. */
function shortMessage(message: string): string {
  const lines = message.split('\n');
  const got = /got '([^']+)'/.exec(message)?.[1];
  if (lines[0]?.startsWith('Parse error') && got)
    return `${lines.slice(0, 3).join(' ')} (unexpected ${got === 'EOF' ? 'end of template' : got})`;
  return lines.slice(0, 4).join(' ');
}

function explain(e: unknown, source: string, where: TemplateWhere): TemplateError {
  if (e instanceof TemplateError) return new TemplateError(e.message, where, e.variable);
  const err = e as { message?: string; lineNumber?: number; column?: number; endColumn?: number };
  const message = String(err.message ?? e);
  const undef = /^"([^"]+)" not defined in/.exec(message);
  if (undef) {
    const line = source.split('\n')[(err.lineNumber ?? 1) - 1] ?? '';
    const expr = err.column !== undefined && err.endColumn !== undefined ? line.slice(err.column, err.endColumn) : '';
    return new TemplateError(
      `template variable "${undef[1]}" is not defined${expr ? ` (in {{${expr.replace(/^\{+|\}+$/g, '')}}})` : ''}`,
      where,
      undef[1],
    );
  }
  return new TemplateError(`template error: ${shortMessage(message)}`, where);
}

/** Render one template string. Strings without `{{` are returned unchanged. */
export function renderTemplate(source: string, context: object, mode: TemplateMode, where: TemplateWhere = {}): string {
  if (!isTemplate(source)) return source;
  try {
    const fn = compile(source, mode);
    return mode === 'shell' ? renderShell(fn, context) : fn(context);
  } catch (e) {
    throw explain(e, source, where);
  }
}

/**
 * Render every string inside a value (objects and arrays walked recursively). `modeAt` says, from the
 * path of a string inside `value`, whether it is a shell field.
 */
export function renderDeep(
  value: unknown,
  context: object,
  modeAt: TemplateMode | ((path: readonly (string | number)[]) => TemplateMode),
  where: TemplateWhere,
  path: readonly (string | number)[] = [],
): unknown {
  const mode = typeof modeAt === 'function' ? modeAt(path) : modeAt;
  if (typeof value === 'string') return renderTemplate(value, context, mode, where);
  if (Array.isArray(value))
    return value.map((v, i) =>
      renderDeep(v, context, modeAt, { ...where, field: `${where.field}[${i}]` }, [...path, i]),
    );
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        renderDeep(v, context, modeAt, { ...where, field: where.field ? `${where.field}.${k}` : k }, [...path, k]),
      ]),
    );
  }
  return value;
}

/**
 * Evaluate a `when` / `failed_when` / `until` condition. A boolean is itself; a string without `{{`
 * is an expression and is wrapped as `{{expr}}` (so `eq params.mode "full"` works); the rendered text
 * is then judged by isTruthy ('' / false / 0 / no / null are false).
 */
export function evalCondition(condition: string | boolean, context: object, where: TemplateWhere = {}): boolean {
  if (typeof condition === 'boolean') return condition;
  const source = isTemplate(condition) ? condition : `{{${condition}}}`;
  return isTruthy(renderTemplate(source, context, 'text', where));
}

/** The template source of a condition, for syntax checks. */
export function conditionSource(condition: string): string {
  return isTemplate(condition) ? condition : `{{${condition}}}`;
}
