/**
 * Templates: shell fields quote every value (proved by running the rendered command in a local sh),
 * `{{raw x}}` is the explicit unquoted form, strict mode names the undefined variable, conditions.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { evalCondition, isTruthy, renderTemplate, TemplateError } from '../../src/runbook/index.js';

const HOSTILE = [
  '$(rm -rf /)',
  '`id`',
  "it's",
  '"double" quotes',
  'a\nb\nc',
  '; echo pwned',
  '*',
  '$HOME',
  '--help',
  '',
  ' leading space',
  "'",
  '\\',
  'ünïcødé',
];

/** Run a command in a local POSIX shell and return its stdout: the real test of quoting. */
const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: 5000 });

describe('templates: shell quoting', () => {
  for (const value of HOSTILE) {
    it(`{{x}} reaches the shell as one literal argument: ${JSON.stringify(value)}`, () => {
      const cmd = renderTemplate("printf '[%s]' {{x}}", { x: value }, 'shell');
      assert.equal(sh(cmd), `[${value}]`);
    });
  }

  it('quotes nested paths, numbers and each list element as its own argument', () => {
    const cmd = renderTemplate(
      "printf '[%s]' {{a.b}} {{n}} {{list}}",
      { a: { b: 'x y' }, n: 42, list: ['1 2', '$(id)'] },
      'shell',
    );
    assert.equal(cmd, "printf '[%s]' 'x y' 42 '1 2' '$(id)'");
    assert.equal(sh(cmd), '[x y][42][1 2][$(id)]');
  });

  it('quotes inside blocks ({{#each}}, {{#if}})', () => {
    const cmd = renderTemplate(
      '{{#each files}}cat {{this}}; {{/each}}{{#if on}}echo {{msg}}{{/if}}',
      { files: ['a b', "c'd"], on: true, msg: '$(x)' },
      'shell',
    );
    assert.equal(cmd, "cat 'a b'; cat 'c'\\''d'; echo '$(x)'");
  });

  it('{{raw x}} inserts the value unquoted, visibly', () => {
    assert.equal(
      renderTemplate('ls {{raw flags}} {{dir}}', { flags: '-la --color', dir: 'my dir' }, 'shell'),
      "ls -la --color 'my dir'",
    );
  });

  it('refuses triple-stash and {{& x}} in shell fields', () => {
    assert.throws(() => renderTemplate('echo {{{x}}}', { x: 1 }, 'shell'), /use \{\{raw x\}\}/);
    assert.throws(() => renderTemplate('echo {{& x}}', { x: 1 }, 'shell'), /not allowed in shell commands/);
  });

  it('refuses an object in a shell field', () => {
    assert.throws(
      () => renderTemplate('echo {{o}}', { o: { a: 1 } }, 'shell'),
      /cannot put an object into a shell command/,
    );
  });

  it('text fields are neither shell-quoted nor HTML-escaped', () => {
    assert.equal(renderTemplate('/var/log/{{f}}', { f: "a&b <c> 'd'" }, 'text'), "/var/log/a&b <c> 'd'");
  });

  it('does not touch the global Handlebars', async () => {
    const Handlebars = (await import('handlebars')).default;
    assert.equal(Handlebars.compile('{{x}}')({ x: '<a b>' }), '&lt;a b&gt;');
  });
});

describe('templates: quoting for where the value stands (see shell-contexts.test.ts for the corpus)', () => {
  const r = (t: string, x: unknown) => renderTemplate(t, { x }, 'shell');
  it('escapes for double quotes, single quotes and here-documents', () => {
    assert.equal(r('echo "a {{x}}"', '$(id) `id` "q" \\'), 'echo "a \\$(id) \\`id\\` \\"q\\" \\\\"');
    assert.equal(r("echo 'a {{x}}'", "it's; id"), "echo 'a it'\\''s; id'");
    assert.equal(r('cat <<EOF\n{{x}}\nEOF', '$HOME "q"'), 'cat <<EOF\n\\$HOME "q"\nEOF');
    assert.equal(r("cat <<'EOF'\n{{x}}\nEOF", '$HOME'), "cat <<'EOF'\n$HOME\nEOF");
    assert.equal(r('echo $(( {{x}} - 1 ))', '-3'), 'echo $(( (-3) - 1 ))');
  });

  it('quotes a value where a command name or a [[ ]] operator would be', () => {
    assert.equal(r('{{x}} ls', 'PATH=/tmp'), "'PATH=/tmp' ls");
    assert.equal(r('X={{x}} ls', 'a'), 'X=a ls');
    assert.equal(r('[[ {{x}} == y ]]', '-n'), "[[ '-n' == y ]]");
  });

  it('refuses at render time what only the value decides', () => {
    assert.throws(() => r('echo $(( {{x}} ))', 'a[$(id)]'), /must be an integer/);
    assert.throws(() => r('[ -v {{x}} ]', 'a[$(id)]'), /must be a name/);
    assert.throws(() => r('cat <<EOF\n{{x}}\nEOF', 'a\nEOF\nid'), /delimiter \(EOF\)/);
    assert.throws(() => r('echo {{x}}', 'a\0b'), /NUL/);
  });

  it('bash builtins that evaluate arithmetic take only integers: let, declare/typeset/local -i, printf -v NAME', () => {
    const evil = 'a[$(id)]';
    assert.throws(
      () => r('let n={{x}}', evil),
      /argument of `let`, which bash evaluates as arithmetic.*must be an integer/,
    );
    assert.throws(() => r('command let "n = {{x}}"', evil), /argument of `let`/);
    assert.throws(() => r('declare -ri n={{x}}', evil), /argument of `declare -i`.*must be an integer/);
    assert.throws(() => r('typeset -i n={{x}}', evil), /argument of `typeset -i`/);
    assert.throws(() => r('f() { local -i n={{x}}; }', evil), /argument of `local -i`/);
    assert.throws(() => r("printf -v {{x}} '%s' y", evil), /variable name of `printf -v`.*must be a name/);
    assert.equal(r('let n={{x}}', '-42'), 'let n=-42');
    assert.equal(r("printf -v {{x}} '%s' y", 'out_1'), "printf -v out_1 '%s' y");
    // Not arithmetic: a declare without -i, printf's arguments, and `let` as a mere word.
    assert.equal(r('declare -x n={{x}}', evil), "declare -x n='a[$(id)]'");
    assert.equal(r("printf -v n '%s' {{x}}", evil), "printf -v n '%s' 'a[$(id)]'");
    assert.equal(r('echo let {{x}}', evil), "echo let 'a[$(id)]'");
  });

  it('refuses places no quoting makes safe, naming the template and the fix', () => {
    assert.throws(() => r('echo `echo {{x}}`', 'a'), /\{\{x\}\}: it is inside backticks.*write \$\( … \) instead/);
    assert.throws(() => r("sh -c 'echo {{x}}'", 'a'), /script of `sh -c`.*sh -c '… "\$1" …' sh \{\{x\}\}/);
    assert.throws(() => r('eval {{x}}', 'a'), /argument of `eval`/);
    assert.equal(r('sh -c \'echo "$1"\' sh {{x}}', 'a b'), "sh -c 'echo \"$1\"' sh 'a b'");
  });

  it('{{raw x}} is inserted as written, in any context', () => {
    assert.equal(renderTemplate('echo "{{raw x}}" {{y}}', { x: '$HOME', y: 'a b' }, 'shell'), `echo "$HOME" 'a b'`);
  });
});

describe('templates: strict variables', () => {
  it('an undefined variable is an error naming the step, field and variable', () => {
    assert.throws(
      () =>
        renderTemplate('echo {{ansible_hots}}', { ansible_host: 'h' }, 'shell', { step: 'greet', field: 'shell.cmd' }),
      (e: unknown) => {
        assert.ok(e instanceof TemplateError);
        assert.equal(e.variable, 'ansible_hots');
        assert.equal(
          e.message,
          'step "greet": shell.cmd: template variable "ansible_hots" is not defined (in {{ansible_hots}})',
        );
        return true;
      },
    );
  });

  it('an undefined nested field is an error too', () => {
    assert.throws(
      () => renderTemplate('{{params.nope}}', { params: {} }, 'text'),
      /"nope" is not defined \(in \{\{params\.nope\}\}\)/,
    );
  });

  it('strings without {{ are returned as they are', () => {
    assert.equal(renderTemplate('echo $HOME', {}, 'shell'), 'echo $HOME');
  });
});

describe('templates: conditions', () => {
  it('truthiness: "", false, 0, no, null are false (any case, trimmed)', () => {
    for (const v of ['', ' ', 'false', 'False', '0', 'no', 'NO', 'null', false, 0, null, undefined, []])
      assert.equal(isTruthy(v), false, JSON.stringify(v));
    for (const v of ['yes', 'true', '1', 'x', ' 0x', true, 2, ['a'], {}])
      assert.equal(isTruthy(v), true, JSON.stringify(v));
  });

  const ctx = { rc: 0, out: 'Active: running', list: ['a', 'b'], n: '10', params: { mode: 'full' } };
  const cases: Array<[string | boolean, boolean]> = [
    [true, true],
    [false, false],
    ['eq rc 0', true],
    ['eq n 10', true],
    ['ne params.mode "full"', false],
    ['and (eq rc 0) (contains out "running")', true],
    ['or (eq rc 1) (contains list "c")', false],
    ['not (contains list "a")', false],
    ['gt n 9', true],
    ['lt n 9', false],
    ['match out "^Active: (running|waiting)"', true],
    ['{{#if (eq rc 0)}}yes{{else}}no{{/if}}', true],
    ['{{out}}', true],
    ['{{#if false}}x{{/if}}', false],
  ];
  for (const [cond, expected] of cases) {
    it(`${JSON.stringify(cond)} is ${expected}`, () => assert.equal(evalCondition(cond, ctx), expected));
  }

  it('match runs in time linear in a hostile value: an exponential pattern answers at once', () => {
    // On a backtracking engine, (a+)+$ against 40 a's and a b takes minutes.
    const hostile = { out: `${'a'.repeat(40)}b` };
    const start = process.hrtime.bigint();
    assert.equal(evalCondition('match out "^(a+)+$"', hostile), false);
    assert.equal(evalCondition('match out "(a|aa)*b"', hostile), true);
    assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 1000, 'well under a second');
  });

  it('a match pattern that needs backtracking is an error naming it, never a hang or a silent false', () => {
    assert.throws(
      () => evalCondition('match out "(a)\\1"', { out: 'aa' }, { step: 's', field: 'when' }),
      /step "s": when: .*match: the regular expression "\(a\)\\1": backreferences/,
    );
    assert.throws(
      () => evalCondition('match out "(x"', { out: 'aa' }),
      /match: the regular expression "\(x": not a valid regular expression/,
    );
  });

  it('an undefined variable in a condition is an error, not false', () => {
    assert.throws(
      () => evalCondition('eq missing 1', ctx, { step: 's', field: 'when' }),
      /step "s": when: template variable "missing"/,
    );
  });
});
