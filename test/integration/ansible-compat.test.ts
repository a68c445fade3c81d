/**
 * Ansible gives the same answers as firebreak on the same files: for every inventory fixture,
 * `ansible-inventory --list`, `ansible-inventory --graph --vars` and `ansible PATTERN --list-hosts
 * [--limit L]` are run live and compared with ours. Skipped only when ansible is not installed.
 *
 * FIREBREAK_RECORD=1 also writes Ansible's answers into the fixtures (case.json hosts,
 * expected-list.json, expected-graph.txt) for the unit harness, which runs without Ansible.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory, selectHosts, toAnsibleListJson, toGraph } from '../../src/inventory/index.js';
import { label, loadCases, resolveLimit, type InventoryCase, type PatternCase } from '../fixtures/inventory/cases.js';
import { needProgram } from '../helpers/programs.js';

const RECORD = process.env['FIREBREAK_RECORD'] === '1';
const CONCURRENCY = 4;
const CALL_TIMEOUT_MS = 30_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let env: NodeJS.ProcessEnv = {};
let home = '';

function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, timeout: CALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `tasks` with at most CONCURRENCY at a time, keeping result order. */
async function pool<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, tasks.length) }, worker));
  return out;
}

function inventoryArgs(c: InventoryCase): string[] {
  return c.sources.flatMap((s) => ['-i', s]);
}

/** Ansible's answer for one pattern: hosts in order, or its error; plus its no-match warnings. */
async function ansibleHosts(c: InventoryCase, p: PatternCase): Promise<PatternCase> {
  const limit = resolveLimit(c, p.limit);
  const args = [p.pattern, ...inventoryArgs(c), '--list-hosts', ...(limit !== undefined ? ['--limit', limit] : [])];
  const r = await run('ansible', args, c.dir);
  const flat = r.stderr.replace(/\s*\n\s*/g, ' ');
  const warnings = [...flat.matchAll(/Could not match supplied host pattern, ignoring: (\S+)/g)].map(
    (m) => `Could not match supplied host pattern, ignoring: ${m[1]}`,
  );
  const out: PatternCase = { pattern: p.pattern, ...(p.limit !== undefined ? { limit: p.limit } : {}) };
  const err = /ERROR! (.*)/.exec(r.stderr);
  if (r.code !== 0 && err) out.error = (err[1] as string).trim();
  else {
    assert.match(r.stdout, /hosts \(\d+\):/, `ansible ${args.join(' ')} failed: ${r.stderr}`);
    out.hosts = r.stdout
      .split('\n')
      .filter((l) => /^ {4}\S/.test(l))
      .map((l) => l.trim());
  }
  if (warnings.length) out.warnings = [...new Set(warnings)];
  return out;
}

async function oursHosts(c: InventoryCase, p: PatternCase): Promise<PatternCase> {
  const inv = await loadInventory(c.sources.map((s) => join(c.dir, s)));
  const warnings: string[] = [];
  const out: PatternCase = { pattern: p.pattern, ...(p.limit !== undefined ? { limit: p.limit } : {}) };
  try {
    out.hosts = selectHosts(inv, p.pattern, resolveLimit(c, p.limit), (m) => warnings.push(m)).map((h) => h.name);
  } catch (e) {
    out.error = (e as Error).message;
  }
  if (warnings.length) out.warnings = [...new Set(warnings)];
  return out;
}

describe('ansible compatibility (live ansible)', function () {
  this.timeout(120_000);

  before(function () {
    needProgram(this, 'ansible');
    home = mkdtempSync(join(tmpdir(), 'firebreak-ansible-home-'));
    const cfg = join(home, 'ansible.cfg');
    writeFileSync(cfg, '[defaults]\n');
    env = {
      PATH: process.env['PATH'],
      HOME: home,
      LANG: 'C.UTF-8',
      ANSIBLE_CONFIG: cfg,
      ANSIBLE_LOCALHOST_WARNING: 'False',
      ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_LOCAL_TEMP: join(home, 'tmp'),
    };
  });

  after(() => {
    if (home) rmSync(home, { recursive: true, force: true });
  });

  for (const c of loadCases()) {
    describe(c.name, () => {
      it('ansible-inventory --list: same JSON', async () => {
        const r = await run('ansible-inventory', [...inventoryArgs(c), '--list'], c.dir);
        assert.equal(r.code, 0, r.stderr);
        const theirs = JSON.parse(r.stdout) as unknown;
        if (RECORD) writeFileSync(join(c.dir, 'expected-list.json'), r.stdout.trimEnd() + '\n');
        const inv = await loadInventory(c.sources.map((s) => join(c.dir, s)));
        assert.deepEqual(toAnsibleListJson(inv), theirs);
      });

      it('ansible-inventory --graph --vars: same text', async () => {
        const r = await run('ansible-inventory', [...inventoryArgs(c), '--graph', '--vars'], c.dir);
        assert.equal(r.code, 0, r.stderr);
        if (RECORD) writeFileSync(join(c.dir, 'expected-graph.txt'), r.stdout.trimEnd() + '\n');
        const inv = await loadInventory(c.sources.map((s) => join(c.dir, s)));
        assert.equal(toGraph(inv, { vars: true }), r.stdout.trimEnd());
      });

      it(`ansible PATTERN --list-hosts: same hosts, same order (${c.patterns.length} patterns)`, async () => {
        const theirs = await pool(c.patterns.map((p) => () => ansibleHosts(c, p)));
        if (RECORD) {
          const { name: _n, dir: _d, ...rest } = c;
          writeFileSync(join(c.dir, 'case.json'), JSON.stringify({ ...rest, patterns: theirs }, null, 2) + '\n');
        }
        const mismatches: string[] = [];
        for (const t of theirs) {
          const o = await oursHosts(c, t);
          const same =
            JSON.stringify(o.hosts) === JSON.stringify(t.hosts) &&
            JSON.stringify(o.warnings ?? []) === JSON.stringify(t.warnings ?? []) &&
            (t.error === undefined) === (o.error === undefined) &&
            (t.error === undefined || (o.error ?? '').includes(t.error));
          if (!same)
            mismatches.push(`${label(t)}\n  ansible:   ${JSON.stringify(t)}\n  firebreak: ${JSON.stringify(o)}`);
        }
        assert.deepEqual(mismatches, []);
      });
    });
  }
});
