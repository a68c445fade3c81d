/**
 * Quoting for where a template lands: a corpus of hostile values rendered into every shell context a
 * runbook author may write (bare, "…", '…', here-documents, $( ), $(( )), tests, case, comments…), run
 * in a real local `sh` (dash on Debian) and `bash`. Each value either arrives byte for byte, or the
 * render is refused with a TemplateError; no marker file is ever created.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { renderTemplate, TemplateError } from '../../src/runbook/index.js';

/** Every injection here would `touch M` in the working directory. */
export const HOSTILE: readonly string[] = [
  '$(touch M)',
  '`touch M`',
  '; touch M',
  '&& touch M',
  '|| touch M',
  '| touch M',
  '& touch M',
  '\ntouch M',
  'a\ntouch M\n',
  "'; touch M; '",
  '"; touch M; "',
  '"$(touch M)"',
  "'$(touch M)'",
  "it's",
  '"double"',
  '\\',
  '\\\\',
  'a\\',
  '\\n',
  '\\$(touch M)',
  '\\`touch M\\`',
  '\\"; touch M; \\"',
  "\\'; touch M; \\'",
  'EOF',
  'x\nEOF\ntouch M',
  'EOF\ntouch M',
  '\tEOF\ntouch M',
  '$((1))',
  '$((1+$(touch M)))',
  'a[$(touch M)]',
  '${X:-$(touch M)}',
  "$'\\x41'",
  '*',
  '?',
  '[a]',
  '~',
  '~root',
  '-n',
  '--help',
  '-',
  '!',
  '(',
  ')',
  '#',
  '#x\ntouch M',
  '',
  ' ',
  '  two  spaces ',
  '\t',
  '\r\n',
  '$HOME',
  ']] ; touch M',
  ']',
  '-eq',
  'case',
  'if',
  'PATH=/nonexistent',
  'X=1 touch M',
  '{}',
  '%s%n',
  '\x1b[31m',
  'ünïcødé',
  '\uD800 lone surrogate',
  '0',
  '-1',
  '42',
  '007',
  'x'.repeat(40_000),
];

type Shell = 'sh' | 'bash';

interface Context {
  name: string;
  template: string;
  /** The stdout the command prints for value `v` (when accepted). */
  expect(v: string): string;
  /** Values this context refuses (the render must throw). */
  refuses?(v: string): boolean;
  shells?: Shell[];
}

const isInteger = (v: string): boolean => /^\s*[+-]?[0-9]+\s*$/.test(v);
const hasLine = (v: string, line: string, stripTabs = false): boolean =>
  v.split('\n').some((l) => (stripTabs ? l.replace(/^\t+/, '') : l) === line);
/** An integer as bash's arithmetic reads it: a leading 0 means octal. */
const bashInteger = (v: string): string => {
  const t = v.trim();
  return /^[+-]?0[0-7]+$/.test(t) ? String(parseInt(t, 8)) : String(BigInt(t));
};
/** Command substitution strips trailing newlines. */
const cmdsub = (v: string): string => v.replace(/\n+$/, '');

const CONTEXTS: Context[] = [
  { name: 'bare word', template: "printf '%s' {{x}}", expect: (v) => v },
  { name: 'bare word beside text', template: "printf '%s' --opt={{x}}.end", expect: (v) => `--opt=${v}.end` },
  { name: 'double quotes', template: `printf '%s' "{{x}}"`, expect: (v) => v },
  { name: 'double quotes beside text and $HOME', template: `printf '%s' "<{{x}}|$V>"`, expect: (v) => `<${v}|${v}>` },
  { name: 'single quotes', template: "printf '%s' '{{x}}'", expect: (v) => v },
  { name: 'single quotes beside text', template: "printf '%s' '[{{x}}]'", expect: (v) => `[${v}]` },
  {
    name: 'one word of bare, double and single quoted parts',
    template: `printf '%s' a{{x}}"b{{x}}"'c{{x}}'`,
    expect: (v) => `a${v}b${v}c${v}`,
  },
  { name: 'an assignment', template: `V={{x}}; printf '%s' "$V"`, expect: (v) => v },
  { name: 'an assignment in double quotes', template: `V="{{x}}"; printf '%s' "$V"`, expect: (v) => v },
  {
    name: 'here-document, unquoted delimiter',
    template: 'cat <<EOF\n{{x}}\nEOF',
    expect: (v) => `${v}\n`,
    refuses: (v) => hasLine(v, 'EOF'),
  },
  {
    name: 'here-document, quoted delimiter',
    template: "cat <<'EOF'\n{{x}}\nEOF",
    expect: (v) => `${v}\n`,
    refuses: (v) => hasLine(v, 'EOF'),
  },
  {
    name: 'here-document, "quoted" delimiter, value mid-line',
    template: 'cat <<"EOF"\nbefore {{x}} after\nEOF',
    expect: (v) => `before ${v} after\n`,
    refuses: (v) => hasLine(`before ${v} after`, 'EOF'),
  },
  {
    name: 'here-document with <<- (tabs stripped)',
    template: 'cat <<-EOF\n{{x}}\n\tEOF',
    expect: (v) => `${v}\n`,
    refuses: (v) => hasLine(v, 'EOF', true) || /(^|\n)\t/.test(v),
  },
  {
    name: 'command substitution in a here-document',
    template: "cat <<EOF\n$(printf '%s' {{x}})\nEOF",
    expect: (v) => `${cmdsub(v)}\n`,
    // the first and last lines of the value share their line with the command around it
    refuses: (v) => v.split('\n').slice(1, -1).includes('EOF'),
  },
  {
    name: 'here-document inside command substitution',
    template: `printf '%s' "$(cat <<EOF\n{{x}}\nEOF\n)"`,
    expect: (v) => cmdsub(v),
    refuses: (v) => hasLine(v, 'EOF'),
  },
  { name: '$( ) in double quotes', template: `printf '%s' "$(printf '%s.' {{x}})"`, expect: (v) => `${v}.` },
  {
    name: 'double quotes in $( ) in double quotes',
    template: `printf '%s' "$(printf '%s.' "{{x}}")"`,
    expect: (v) => `${v}.`,
  },
  {
    name: 'single quotes in $( )',
    template: `printf '%s' $(printf '%s' '{{x}}' | od -An -v -tx1 | tr -d ' \\n')`,
    expect: (v) => Buffer.from(v).toString('hex'),
  },
  { name: 'a [ ] test', template: `[ "$V" = {{x}} ] && printf ok`, expect: () => 'ok' },
  { name: 'a test command', template: `test {{x}} = "$V" && printf ok`, expect: () => 'ok' },
  { name: 'a [[ ]] test', template: `[[ {{x}} == "$V" ]] && printf ok`, expect: () => 'ok', shells: ['bash'] },
  {
    name: 'a [[ ]] pattern match (quoted: literal)',
    template: `[[ "$V" == {{x}} ]] && printf ok`,
    expect: () => 'ok',
    shells: ['bash'],
  },
  {
    name: 'an arithmetic operand of [ ]',
    template: `[ {{x}} -eq "$V" ] && printf ok`,
    expect: () => 'ok',
    refuses: (v) => !isInteger(v),
  },
  {
    name: 'an arithmetic operand of [[ ]]',
    template: `[[ {{x}} -eq "$V" ]] && printf ok`,
    expect: () => 'ok',
    refuses: (v) => !isInteger(v),
    shells: ['bash'],
  },
  {
    name: 'arithmetic $(( ))',
    template: `printf '%s' $(( {{x}} + 0 ))`,
    expect: (v) => String(BigInt(v.trim())),
    refuses: (v) => !isInteger(v),
  },
  {
    name: 'arithmetic after a minus',
    template: `printf '%s' $((0-{{x}}))`,
    expect: (v) => String(-BigInt(v.trim())),
    refuses: (v) => !isInteger(v),
  },
  {
    name: 'bash arithmetic command (( ))',
    template: `(( {{x}} == V )) && printf ok`,
    expect: () => 'ok',
    refuses: (v) => !isInteger(v),
    shells: ['bash'],
  },
  {
    name: 'an argument of let',
    template: `let R={{x}}; printf '%s' "$R"`,
    expect: bashInteger,
    refuses: (v) => !isInteger(v),
    shells: ['bash'],
  },
  {
    name: 'let in double quotes, after builtin',
    template: `builtin let "R = {{x}} + 0"; printf '%s' "$R"`,
    expect: bashInteger,
    refuses: (v) => !isInteger(v),
    shells: ['bash'],
  },
  {
    name: 'a declare -i assignment',
    template: `declare -ix R={{x}}; printf '%s' "$R"`,
    expect: bashInteger,
    refuses: (v) => !isInteger(v),
    shells: ['bash'],
  },
  {
    name: 'a typeset -i assignment',
    template: `typeset -i R='{{x}}'; printf '%s' "$R"`,
    expect: bashInteger,
    refuses: (v) => !isInteger(v),
    shells: ['bash'],
  },
  {
    name: 'a local -i assignment',
    template: `f() { local -i R="{{x}}"; printf '%s' "$R"; }; f`,
    expect: bashInteger,
    refuses: (v) => !isInteger(v),
    shells: ['bash'],
  },
  {
    name: "bash's older arithmetic $[ ]",
    template: `printf '%s' $[ {{x}} + 0 ]`,
    expect: (v) => bashInteger(v),
    refuses: (v) => !isInteger(v),
    shells: ['bash'],
  },
  {
    name: 'a later assignment to a variable made an integer (declare -i)',
    template: `declare -i R; R={{x}}; printf '%s' "$R"`,
    expect: bashInteger,
    refuses: (v) => !isInteger(v),
    shells: ['bash'],
  },
  {
    name: 'an indexed array subscript being assigned',
    template: `declare -a A; A[{{x}}*0]=ok; printf '%s' "\${A[0]}"`,
    expect: () => 'ok',
    refuses: (v) => !isInteger(v),
    shells: ['bash'],
  },
  {
    name: 'the value of an array element (text)',
    template: `A[1]={{x}}; printf '%s' "\${A[1]}"`,
    expect: (v) => v,
    shells: ['bash'],
  },
  {
    name: 'a declare without -i (text, not arithmetic)',
    template: `declare -x R={{x}}; printf '%s' "$R"`,
    expect: (v) => v,
    shells: ['bash'],
  },
  {
    name: 'the variable name of printf -v',
    template: `printf -v {{x}} '%s' ok && printf ok`,
    expect: () => 'ok',
    refuses: (v) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v),
    shells: ['bash'],
  },
  {
    name: 'the value of printf -v (text)',
    template: `printf -v R '%s' {{x}}; printf '%s' "$R"`,
    expect: (v) => v,
    shells: ['bash'],
  },
  { name: 'case word', template: `case {{x}} in "$V") printf ok;; esac`, expect: () => 'ok' },
  {
    name: 'a comment',
    template: '# {{x}}\nprintf ok',
    expect: () => 'ok',
    refuses: (v) => v.includes('\n'),
  },
  { name: 'a function argument', template: `f() { printf '%s' "$1"; }; f {{x}}`, expect: (v) => v },
  {
    name: 'an argument after sh -c SCRIPT (the safe idiom)',
    template: `sh -c 'printf "%s" "$1"' sh {{x}}`,
    expect: (v) => v,
  },
  { name: "bash's here-string", template: 'cat <<< {{x}}', expect: (v) => `${v}\n`, shells: ['bash'] },
  {
    name: 'each element of a list, in double quotes',
    template: `printf '%s' "{{#each xs}}[{{this}}]{{/each}}"`,
    expect: (v) => `[${v}][${v}]`,
  },
];

let dir: string;

/**
 * Run every case of a context in one shell process (a spawn per case takes minutes): each command in
 * a group, in an empty directory `w`, with `$V` set to the value, its
 * output in `o/N`; a marker file `w/M` is noted in `injected` and removed. A syntax error stops the
 * script, which shows as the missing outputs of every later case.
 */
function runAll(
  shell: Shell,
  cases: { value: string; command: string }[],
): { outputs: (Buffer | undefined)[]; injected: number[]; stderr: string } {
  for (const d of ['w', 'o']) {
    rmSync(path.join(dir, d), { recursive: true, force: true });
    mkdirSync(path.join(dir, d));
  }
  const script = cases.map(({ value, command }, i) => {
    return [
      // The value as a single-quoted literal (any byte but NUL, newlines kept): no process per case.
      `V='${value.replace(/'/g, `'\\''`)}'; export V`,
      // A group, not a subshell: no fork per case (the commands neither exit nor cd).
      `{\n${command}\n} > ../o/${i} 2>/dev/null`,
      `if [ -e M ]; then echo ${i} >> ../injected; rm -f M; fi`,
    ].join('\n');
  });
  writeFileSync(path.join(dir, 'script'), `cd w || exit 99\n${script.join('\n')}\n`);
  // stdin not a socket: bash would take itself for a remote shell and read ~/.bashrc
  const r = spawnSync(shell, ['script'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    timeout: 60_000,
  });
  assert.equal(r.error, undefined, String(r.error));
  const file = (f: string) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f)) : undefined);
  const injected = (file('injected')?.toString() ?? '').split('\n').filter(Boolean).map(Number);
  assert.deepEqual(readdirSync(path.join(dir, 'w')), [], `${shell} left files behind`);
  rmSync(path.join(dir, 'injected'), { force: true });
  return { outputs: cases.map((_, i) => file(`o/${i}`)), injected, stderr: r.stderr.toString() };
}

const short = (text: string): string => (text.length > 200 ? `${text.slice(0, 200)}… (${text.length} chars)` : text);

const render = (template: string, v: string): string => renderTemplate(template, { x: v, xs: [v, v] }, 'shell');

describe('shell contexts: hostile values arrive byte for byte or are refused, never run', () => {
  // Inside the suite: at the top level of the file these hooks would run around every test of the run.
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'fb-quote-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const ctx of CONTEXTS) {
    it(ctx.name, () => {
      const cases: { value: string; command: string }[] = [];
      for (const value of HOSTILE) {
        const label = `${ctx.name}: ${JSON.stringify(value.slice(0, 60))}`;
        if (ctx.refuses?.(value))
          assert.throws(() => render(ctx.template, value), TemplateError, `${label} should be refused`);
        else cases.push({ value, command: render(ctx.template, value) });
      }
      for (const shell of ctx.shells ?? (['sh', 'bash'] as Shell[])) {
        const { outputs, injected, stderr } = runAll(shell, cases);
        const ran = injected.map((i) => short(cases[i]?.command ?? ''));
        assert.deepEqual(ran, [], `${shell} ran an injection`);
        cases.forEach(({ value, command }, i) => {
          const expected = Buffer.from(ctx.expect(value));
          const out = outputs[i];
          assert.ok(
            out?.equals(expected),
            `${ctx.name} in ${shell}: ${short(command)} printed ${out ? short(JSON.stringify(out.toString())) : `nothing (${short(stderr)})`}, expected ${short(JSON.stringify(expected.toString()))}`,
          );
        });
      }
    });
  }

  it('a NUL byte is refused in every context', () => {
    for (const ctx of CONTEXTS) assert.throws(() => render(ctx.template, 'a\0b'), TemplateError, ctx.name);
  });
});
