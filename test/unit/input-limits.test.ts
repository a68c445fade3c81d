/**
 * Hostile input is refused with a clear InputError naming the file, never a ReferenceError, a
 * RangeError or a hang: YAML alias bombs, dangling aliases, deep nesting, oversize files, ranges and
 * host lists past the host limit. Ordinary files are not caught by the guards.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError, packagePath } from '../../src/core/index.js';
import { LIMITS } from '../../src/core/limits.js';
import { checkYamlDepth } from '../../src/core/yaml-shape.js';
import { parseYamlSafe } from '../../src/core/yaml-safe.js';
import { loadInventory, selectHosts, splitHostPattern } from '../../src/inventory/index.js';
import { loadScenarioFile } from '../../src/lab/scenarios/load.js';
import { parseExtraVars, parseRunbookYaml } from '../../src/runbook/index.js';

/** `a9` holds 9^10 nodes once every alias is expanded. */
function aliasBomb(): string {
  let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < 10; i++)
    text += `a${i}: &a${i} [${Array(9)
      .fill(`*a${i - 1}`)
      .join(', ')}]\n`;
  return text;
}

const isInputError = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof InputError, `an InputError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  assert.match((e as Error).message, pattern);
  return true;
};

/** Message and issues of an InputError, as the CLI prints them. */
function told(e: unknown): string {
  const err = e as InputError & { issues?: { message: string; line?: number }[] };
  return [err.message, ...(err.issues ?? []).map((i) => `${i.line ?? ''}: ${i.message}`)].join('\n');
}

describe('input limits: runbooks and YAML values', () => {
  it('an alias bomb in a runbook is an InputError naming the file, not a crash', () => {
    assert.throws(
      () => parseRunbookYaml(`name: bomb\n${aliasBomb()}`, 'bomb.yaml'),
      isInputError(/^bomb\.yaml: .*alias/),
    );
  });

  it('an alias that names no anchor is an InputError', () => {
    assert.throws(
      () => parseRunbookYaml('name: x\nphases: *nowhere\n', 'dangling.yaml'),
      (e: unknown) => e instanceof InputError && /dangling\.yaml/.test(told(e)) && /nowhere/.test(told(e)),
    );
  });

  it('flow nesting past the limit is refused at its line before the parser recurses', () => {
    const deep = `name: x\nphases:\n  isolate: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    assert.throws(() => parseRunbookYaml(deep, 'deep.yaml'), isInputError(/^deep\.yaml:3: nested more than 64 levels/));
  });

  it('block nesting past the limit is refused too', () => {
    const deep = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n';
    assert.throws(() => parseRunbookYaml(deep, 'block.yaml'), isInputError(/^block\.yaml:\d+: nested more than/));
    const dashes = Array.from({ length: 200 }, (_, i) => `${'  '.repeat(i)}-`).join('\n') + ' 1\n';
    assert.throws(() => checkYamlDepth(dashes, 'seq.yaml'), isInputError(/^seq\.yaml:\d+: nested/));
  });

  it('a file over the size limit is refused by its size', () => {
    const big = `name: x\ndescription: "${'a'.repeat(LIMITS.inputBytes)}"\n`;
    assert.throws(() => parseRunbookYaml(big, 'big.yaml'), isInputError(/^big\.yaml: \d+ bytes, more than/));
  });

  it('16,000 unknown keys are reported, each duplicate key still found', () => {
    const keys = Array.from({ length: 16_000 }, (_, i) => `k${i}: 1`).join('\n');
    assert.throws(
      () => parseRunbookYaml(`name: x\n${keys}\n`, 'keys.yaml'),
      (e: unknown) =>
        e instanceof InputError &&
        e.issues?.length === 101 &&
        /… and 15901 more problems \(only the first 100 are listed\)/.test(e.issues.at(-1)!.message),
    );
    assert.throws(
      () => parseRunbookYaml('name: x\nname: y\n', 'dup.yaml'),
      (e: unknown) => e instanceof InputError && /2: duplicate key/.test(told(e)),
    );
  });

  it('-e values: an alias bomb or deep nesting stays a plain string, never a crash', () => {
    const [bomb] = parseExtraVars([`x=${aliasBomb().replace(/\n/g, ', ').replace(/^/, '{').replace(/, $/, '}')}`]);
    assert.equal(typeof bomb!.value, 'string');
    const [deep] = parseExtraVars([`y=${'['.repeat(5000)}`]);
    assert.equal(deep!.value, '['.repeat(5000));
    assert.throws(() => parseYamlSafe(aliasBomb(), 'vars.yaml'), isInputError(/^vars\.yaml: its YAML aliases expand/));
  });

  it('the shipped runbooks, drills and scenarios are within the nesting limit', () => {
    for (const dir of ['runbooks', 'drills', 'scenarios', 'runbooks/examples']) {
      for (const f of readdirSync(packagePath(dir)).filter((n) => /\.ya?ml$/.test(n))) {
        const file = packagePath(dir, f);
        assert.doesNotThrow(() => checkYamlDepth(readFileSync(file, 'utf8'), file), file);
      }
    }
  });

  it('brackets inside a block scalar (shell text) are not structure', () => {
    const script = `name: x\nrun: |\n  ${'if [ -e /x ] && { echo "[" ; '.repeat(200)}\n  done\n`;
    assert.doesNotThrow(() => checkYamlDepth(script, 'script.yaml'));
  });
});

describe('input limits: inventories', () => {
  let dir = '';
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'fb-limits-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('a YAML inventory alias bomb is an InputError naming the file', async () => {
    const file = write('bomb.yml', `all:\n  vars:\n${aliasBomb().replace(/^/gm, '    ')}`);
    await assert.rejects(
      loadInventory([file]),
      (e: unknown) => e instanceof InputError && told(e).includes('bomb.yml'),
    );
  });

  it('a YAML inventory nested past the limit is refused at its line', async () => {
    const file = write('deep.yml', `all:\n  vars:\n    x: ${'['.repeat(10_000)}\n`);
    await assert.rejects(
      loadInventory([file]),
      (e: unknown) => e instanceof InputError && /nested more than/.test(told(e)),
    );
  });

  it('a range past the host limit is refused at once, saying how to raise the limit', async () => {
    const file = write('range.ini', 'h[1:99999999]\n');
    await assert.rejects(
      loadInventory([file]),
      (e: unknown) => e instanceof InputError && /too large .*FIREBREAK_MAX_HOSTS/.test(told(e)),
    );
  });

  it('many small ranges adding up past the host limit are refused too, naming the file', async () => {
    const lines = Array.from({ length: Math.ceil(LIMITS.hosts / 4) + 1 }, (_, i) => `g${i}h[1:4]`).join('\n');
    const file = write('many.ini', `${lines}\n`);
    await assert.rejects(loadInventory([file]), isInputError(/many\.ini: more than 100000 hosts/));
  });

  it('a group named by 100,000 characters loads, and --limit selects it by name', async () => {
    const name = 'g'.repeat(100_000);
    const file = write('giant.ini', `[${name}]\nh1\n[other]\nh2\n`);
    const inv = await loadInventory([file]);
    assert.deepEqual(
      selectHosts(inv, 'all', name).map((h) => h.name),
      ['h1'],
    );
  });

  it('100,000 hosts from one range load (the builder is no longer quadratic)', async () => {
    const file = write('big.ini', 'h[1:100000]\n');
    const inv = await loadInventory([file]);
    assert.equal(inv.hosts.length, 100_000);
    assert.equal(inv.groups.get('ungrouped')?.hosts.length, 100_000);
  });
});

describe('input limits: found by the fuzz harness', () => {
  it('8,000 nested {{#if}} (53 s before) or a long {{else if}} chain is refused at its line at once', () => {
    const tower = `name: x\nphases:\n  collect:\n    - shell: "${'{{#if a}}'.repeat(8000)}x${'{{/if}}'.repeat(8000)}"\n`;
    const started = performance.now();
    assert.throws(
      () => parseRunbookYaml(tower, 'tower.yaml'),
      isInputError(/^tower\.yaml:4: template blocks .* nested more than 64/),
    );
    const chain = `name: x\nphases:\n  collect:\n    - shell: "{{#if a}}${'{{else if a}}'.repeat(100)}{{/if}}"\n`;
    assert.throws(() => parseRunbookYaml(chain, 'chain.yaml'), isInputError(/^chain\.yaml:4: template blocks/));
    assert.ok(performance.now() - started < 1000);
    const siblings = `name: x\nphases:\n  collect:\n    - shell: "${'{{#if a}}x{{/if}}'.repeat(500)}"\n`;
    assert.doesNotThrow(() => parseRunbookYaml(siblings, 'siblings.yaml'));
  });

  it('a phase of 20,000 steps (5 s in the schema before) is refused by its count', () => {
    const steps = '    - name: no type\n'.repeat(20_000);
    assert.throws(
      () => parseRunbookYaml(`name: x\nphases:\n  collect:\n${steps}`, 'steps.yaml'),
      isInputError(/^steps\.yaml: phase collect has 20000 steps, more than the 1000/),
    );
  });

  it('text with more syntax errors than the limit stops at the line that passed it', () => {
    const text = `name: x\ntruth: ${'"'.repeat(100_000)}\n`;
    assert.throws(() => parseYamlSafe(text, 'q.yaml'), isInputError(/^q\.yaml:2: more than 100 YAML syntax errors/));
  });

  it('YAML over the YAML size or node limit is refused before parsing', () => {
    const big = `x: "${'a'.repeat(LIMITS.yamlBytes)}"\n`;
    assert.throws(() => parseYamlSafe(big, 'big.yaml'), isInputError(/^big\.yaml: \d+ bytes of YAML, more than/));
    const items = `x: [${'a,'.repeat(LIMITS.yamlNodes)}]\n`;
    assert.throws(() => parseYamlSafe(items, 'items.yaml'), isInputError(/^items\.yaml:1: more than \d+ YAML nodes/));
  });

  it('an alias inside its own anchor is an InputError, not a stack overflow later', () => {
    assert.throws(() => parseYamlSafe('x: &a [*a, *a]\n', 'cycle.yaml'), isInputError(/^cycle\.yaml: a YAML alias/));
  });

  it('a scenario with 1,000 bad indicators lists the first 100 problems and counts the rest', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fb-scenario-'));
    try {
      const file = path.join(dir, 'many.yaml');
      const bad = Array.from(
        { length: 1000 },
        (_, i) => `  - {id: i${i}, kind: nope, description: x, match: {}, check: 'true'}`,
      );
      writeFileSync(file, `name: many\ndescription: x\nplant: 'true'\ntruth:\n${bad.join('\n')}\n`);
      assert.throws(
        () => loadScenarioFile(file),
        (e: unknown) =>
          e instanceof InputError &&
          /not a valid scenario, 1000 problems\n/.test(e.message) &&
          e.issues?.length === 101 &&
          /… and 900 more problems \(only the first 100 are listed\)/.test(e.issues.at(-1)!.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('duplicate keys are still found with the library check off (it was quadratic)', () => {
    assert.throws(
      () => parseYamlSafe('a: 1\na: 2\n', 'dup.yaml'),
      isInputError(/^dup\.yaml:2:1: Map keys must be unique/),
    );
  });

  it('--limit: a multi-megabyte pattern or thousands of globs are refused, not matched for minutes', async () => {
    const inv = await loadInventory(['h1,h2,web1,']);
    assert.throws(
      () => selectHosts(inv, 'all', `x${'y'.repeat(5000)}*`),
      isInputError(/host pattern of 5002 characters/),
    );
    const globs = Array.from({ length: 1001 }, (_, i) => `g${i}*`).join(':');
    assert.throws(() => selectHosts(inv, 'all', globs), isInputError(/1001 host patterns that are not host names/));
    const names = Array.from({ length: 5000 }, () => 'h1').join(',');
    assert.deepEqual(
      selectHosts(inv, 'all', names).map((h) => h.name),
      ['h1'],
    );
    const exclusions = Array.from({ length: 5000 }, () => '!h2').join(',');
    assert.deepEqual(
      selectHosts(inv, 'all', exclusions).map((h) => h.name),
      ['h1', 'web1'],
    );
    // Unclosed brackets separate, as in Ansible's regex, which overflowed V8's stack on megabytes of them.
    assert.deepEqual(splitHostPattern(`a:${'['.repeat(1_000_000)}:b`), ['a', 'b']);
  });
});
