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

  it('an undefined variable in a condition is an error, not false', () => {
    assert.throws(
      () => evalCondition('eq missing 1', ctx, { step: 's', field: 'when' }),
      /step "s": when: template variable "missing"/,
    );
  });
});
