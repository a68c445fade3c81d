/**
 * Values in shell fields, quoted for where they land. Rendering a shell field leaves a marker
 * (NUL, index, NUL) for each `{{x}}`; the rendered text is then read by the shell lexer (core
 * shell-lexer.ts) and each marker is replaced by its value quoted for that place (core quote-context.ts),
 * so `echo "{{x}}"`, `echo '{{x}}'` and a here-document all keep the value one literal string. The lexer
 * reads the real rendered text (blocks expanded, `{{raw x}}` inserted), so the place is known exactly.
 * Places no quoting makes safe are refused: at load time from the template's own text
 * (`templateShellProblems`), at render time for what only values decide (an integer, a delimiter line).
 * NUL cannot be in a command line at all, which is why it is free to be the marker.
 */
import { InputError, quoteFor, ShellLexer, type Landing } from '../core/index.js';

/** The marker left in rendered text for value `i`. */
export const valueMarker = (i: number): string => `\0${i}\0`;

const preview = (text: string): string => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);

function refusal(landing: Extract<Landing, { kind: 'refused' }>): string {
  return `it is ${landing.where}; ${landing.fix} (or {{raw x}} for a value you trust)`;
}

function textOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object')
    throw new InputError('cannot put an object into a shell command; pick one of its fields');
  const text = String(value);
  if (text.includes('\0'))
    throw new InputError(`the value ${preview(text)} contains a NUL byte, which no shell command can carry`);
  return text;
}

/** A value as text quoted for `landing`; a list is one word per element bare, else its elements joined by spaces. */
function quoted(value: unknown, landing: Landing): string {
  if (landing.kind === 'refused') throw new InputError(refusal(landing));
  if (Array.isArray(value)) {
    const texts = value.map(textOf);
    return landing.kind === 'bare'
      ? texts.map((t) => quoteFor(landing, t)).join(' ')
      : quoteFor(landing, texts.join(' '));
  }
  return quoteFor(landing, textOf(value));
}

/** Replace the markers of `rendered` by their values quoted for where each lands. Throws InputError. */
export function substituteShellValues(rendered: string, values: readonly unknown[]): string {
  const lexer = new ShellLexer();
  const pieces = rendered.split(/\0(\d+)\0/);
  let out = '';
  pieces.forEach((piece, i) => {
    if (i % 2 === 0) {
      if (piece.includes('\0')) throw new InputError('a shell command cannot contain a NUL byte');
      lexer.feed(piece);
      out += piece;
      return;
    }
    const id = Number(piece);
    const value = values[id];
    let text: string;
    try {
      text = quoted(value, lexer.landing());
    } catch (e) {
      const shown = Array.isArray(value) ? value.join(' ') : String(value ?? '');
      throw new InputError(`the value ${preview(shown)} cannot be put there: ${(e as Error).message}`);
    }
    lexer.feedValue(id, Array.isArray(value) ? undefined : String(value ?? ''), text);
    out += text;
  });
  lexer.end();
  const problem = lexer.problems[0];
  if (problem)
    throw new InputError(
      `the value ${preview(String(values[problem.value] ?? ''))} is refused: it is ${problem.message}`,
    );
  return out;
}

type Node = hbs.AST.Node & { loc?: hbs.AST.SourceLocation };
type Statement = hbs.AST.Statement & { loc?: hbs.AST.SourceLocation };

/** `{{params.x}}` as written, and its line when the template has more than one. */
function describe(node: Node, lines: readonly string[]): string {
  const loc = node.loc;
  if (!loc) return 'a template';
  const text =
    loc.start.line === loc.end.line
      ? (lines[loc.start.line - 1] ?? '').slice(loc.start.column, loc.end.column)
      : '{{…}}';
  return lines.length > 1 ? `${text} (line ${loc.start.line} of the command)` : text;
}

const isRaw = (s: hbs.AST.MustacheStatement): boolean =>
  s.path.type === 'PathExpression' && (s.path as hbs.AST.PathExpression).original === 'raw';

/**
 * Places in a shell template where no value can be quoted safely, from its own text, before any value
 * is known: backticks, `${…}`, a here-document delimiter, `sh -c '…{{x}}…'`, a block that opens a quote
 * it does not close. A `{{raw x}}` stands for an unknown word.
 */
export function templateShellProblems(ast: hbs.AST.Program, source: string): string[] {
  const lines = source.split('\n');
  const lexer = new ShellLexer();
  const nodes: Node[] = [];
  const problems: string[] = [];
  const walk = (program: hbs.AST.Program | undefined): void => {
    for (const s of (program?.body ?? []) as Statement[]) {
      if (s.type === 'ContentStatement') lexer.feed((s as hbs.AST.ContentStatement).value);
      else if (s.type === 'MustacheStatement') {
        const m = s as hbs.AST.MustacheStatement;
        if (isRaw(m)) {
          lexer.feed('x');
          continue;
        }
        const landing = lexer.landing();
        if (landing.kind === 'refused') {
          problems.push(`${describe(s, lines)}: ${refusal(landing)}`);
          lexer.feed('x');
          continue;
        }
        nodes.push(s);
        lexer.feedValue(nodes.length - 1, undefined, quoteFor(landing, '1'));
      } else if (s.type === 'BlockStatement') {
        const b = s as hbs.AST.BlockStatement;
        for (const body of [b.program, b.inverse]) {
          const before = lexer.state();
          walk(body);
          if (lexer.state() !== before) {
            const at = lines.length > 1 && b.loc ? ` (line ${b.loc.start.line} of the command)` : '';
            problems.push(
              `the {{#${(b.path as hbs.AST.PathExpression).original}}} block${at} opens a quote, substitution or here-document it does not close: close it inside the block`,
            );
          }
        }
      }
    }
  };
  walk(ast);
  lexer.end();
  for (const p of lexer.problems) problems.push(`${describe(nodes[p.value] as Node, lines)}: it is ${p.message}`);
  return problems;
}
