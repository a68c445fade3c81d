/**
 * Facts from data: test/fixtures/facts/<label>/<case>.json holds the `input` (recorded output files
 * of test/fixtures/facts/<dir>/, concatenated, after optional inline `text`), the inputs of the facts
 * it `needs`, the expected `parse` (exact) or `parseMatch` (partial, see test/helpers/match.ts) and
 * the expected `findings` (each one's kind, severity, summary, detail — partially matched, in order).
 * One harness runs them all, through the fact objects the steps plan from.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { FACTS, type AnyFact } from '../../src/facts/index.js';
import { mismatch } from '../helpers/match.js';

const ROOT = path.join(import.meta.dirname, '../fixtures/facts');

interface Input {
  text?: string;
  file?: string | string[];
}

interface Case {
  description: string;
  input: Input;
  needs?: Record<string, Input>;
  host?: string;
  parse?: unknown;
  parseMatch?: unknown;
  findings?: unknown[];
}

const read = (i: Input): string =>
  (i.text ?? '') +
  [i.file ?? []]
    .flat()
    .map((f) => readFileSync(path.join(ROOT, f), 'utf8'))
    .join('');

/** Every `*.json` under the fixture root, by the directory (= fact label) holding it. */
function casesByLabel(dir = ROOT, label = ''): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory())
      for (const [l, files] of casesByLabel(full, label ? `${label}/${name}` : name)) out.set(l, files);
    else if (name.endsWith('.json')) out.set(label, [...(out.get(label) ?? []), full]);
  }
  return out;
}

const CASES = casesByLabel();
const parsed = FACTS.filter((f) => f.parse);

describe('facts (fixtures)', () => {
  it('every fact with a parser has a fixture case, and every case directory is a fact', () => {
    assert.deepEqual(
      parsed.filter((f) => !CASES.has(f.label)).map((f) => f.label),
      [],
    );
    assert.deepEqual(
      [...CASES.keys()].filter((l) => !parsed.some((f) => f.label === l)),
      [],
    );
  });

  it('labels are unique', () => {
    assert.equal(new Set(FACTS.map((f) => f.label)).size, FACTS.length);
  });

  for (const fact of parsed) {
    describe(fact.label, () => {
      for (const file of CASES.get(fact.label) ?? []) {
        const c = JSON.parse(readFileSync(file, 'utf8')) as Case;
        it(`${path.basename(file, '.json')}: ${c.description}`, () => run(fact, c));
      }
    });
  }
});

function run(fact: AnyFact, c: Case): void {
  const parse = fact.parse as (text: string) => unknown;
  // JSON round trip: what a fixture can state (no undefined-valued keys)
  const value: unknown = JSON.parse(JSON.stringify(parse(read(c.input))) ?? 'null');
  if (c.parse !== undefined) assert.deepEqual(value, c.parse);
  if (c.parseMatch !== undefined) assert.equal(mismatch(value, c.parseMatch), undefined);
  assert.ok(c.parse !== undefined || c.parseMatch !== undefined, 'a case states the expected parse');
  if (c.findings === undefined) return;
  assert.ok(fact.findings, `${fact.label} makes no findings`);
  const needed: Record<string, unknown> = {};
  for (const [name, input] of Object.entries(c.needs ?? {})) {
    const dep = (fact.needs as Record<string, AnyFact> | undefined)?.[name];
    assert.ok(dep?.parse, `${fact.label} needs no fact named ${name}`);
    needed[name] = dep.parse(read(input));
  }
  const findings = fact.findings(c.host ?? 'web01', parse(read(c.input)), needed);
  assert.equal(mismatch(findings, c.findings), undefined);
}
