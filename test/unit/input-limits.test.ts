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
import { checkYamlDepth, LIMITS } from '../../src/core/limits.js';
import { parseYamlSafe } from '../../src/core/yaml-safe.js';
import { loadInventory } from '../../src/inventory/index.js';
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

  it('100,000 hosts from one range load (the builder is no longer quadratic)', async () => {
    const file = write('big.ini', 'h[1:100000]\n');
    const inv = await loadInventory([file]);
    assert.equal(inv.hosts.length, 100_000);
    assert.equal(inv.groups.get('ungrouped')?.hosts.length, 100_000);
  });
});
