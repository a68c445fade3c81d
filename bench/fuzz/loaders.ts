/**
 * The input loaders the harness covers, as data: where each one's seeds come from (shipped files,
 * test fixtures, a few inline examples) and the minimal valid input whose hole (`FRAG`) a hostile
 * fragment is put into. What each loader runs is in targets.ts, on the child's side.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { packagePath } from '../../src/core/package-root.js';

export interface LoaderSpec {
  name: string;
  /** Files or directories (searched recursively) under the repository, filtered by `ext`. */
  seedPaths: readonly string[];
  ext: RegExp;
  /** Seeds written inline, for inputs that are not files (command-line values). */
  inline?: readonly string[];
  /** Minimal valid inputs with a `FRAG` hole. */
  templates: readonly string[];
}

const YAML = /\.ya?ml$|\.json$/;
const RUNBOOK_DIRS = [
  'runbooks',
  'drills/runbooks',
  'test/fixtures/runbooks',
  'test/fixtures/e2e/runbooks',
  'bench/workload.yaml',
];

export const LOADERS: readonly LoaderSpec[] = [
  {
    name: 'runbook',
    seedPaths: [...RUNBOOK_DIRS, 'test/fixtures/report/runbook.yaml'],
    ext: /\.ya?ml$/,
    templates: [
      'name: fuzz\nphases:\n  collect:\n    - shell: FRAG\n',
      'name: fuzz\nphases:\n  collect:\n    - shell: "echo {{params.x}} FRAG"\nparams:\n  x: {type: string, default: a}\n',
      'name: fuzz\nphases:\n  collect:\n    - shell: |\n        FRAG\n',
      'name: fuzz\nFRAG\nphases:\n  collect:\n    - shell: w\n',
      'name: fuzz\nphases:\n  collect:\n    - shell: w\n      when: "FRAG"\n',
    ],
  },
  {
    name: 'inventory-ini',
    seedPaths: ['inventories', 'test/fixtures/inventory', 'test/fixtures/e2e/inventories'],
    ext: /\.ini$|\/inv\/10-web$/,
    templates: [
      'FRAG\n',
      '[web]\nFRAG\n',
      '[web]\nweb1 x=FRAG\n',
      '[g:vars]\nx=FRAG\n[g]\nh\n',
      '[all:children]\nFRAG\n',
    ],
  },
  {
    name: 'inventory-yaml',
    seedPaths: ['inventories', 'test/fixtures/inventory'],
    ext: /\.ya?ml$/,
    templates: [
      'all:\n  hosts:\n    FRAG:\n',
      'all:\n  vars:\n    x: FRAG\n',
      'all:\n  children:\n    FRAG:\n      hosts: {h: }\n',
      'FRAG',
    ],
  },
  {
    name: 'inventory-vars',
    seedPaths: ['inventories/group_vars', 'inventories/host_vars', 'test/fixtures/inventory'],
    ext: /_vars\/.*(\.ya?ml|\.json|\/dc)$/,
    templates: ['x: FRAG\n', 'FRAG', 'ansible_host: FRAG\n'],
  },
  {
    name: 'host-list',
    seedPaths: [],
    ext: /$^/,
    inline: ['h1,h2,', 'web01,db01:2222,', '10.0.0.1,[::1]:22,', 'a.example.com,', 'h[1:3],x,'],
    templates: ['FRAG,', 'h1,FRAG,', 'FRAG:22,'],
  },
  {
    name: 'limit',
    seedPaths: [],
    ext: /$^/,
    inline: limitSeeds(),
    templates: ['FRAG', 'web:FRAG', '~FRAG', 'web[FRAG]', '!FRAG'],
  },
  {
    name: 'extra-vars',
    seedPaths: [],
    ext: /$^/,
    inline: [
      'since=1 hour ago',
      'count=9',
      'dry=false',
      'version=1.10',
      'limits={cpu: 2}',
      'l=[a, b]',
      'x="a b"',
      'x=&a [*a]',
    ],
    templates: ['x=FRAG', 'since=FRAG', 'limits={a: FRAG}', 'l=[FRAG]'],
  },
  {
    name: 'params-file',
    seedPaths: ['test/fixtures/report/run-basic/notes.yaml'],
    ext: YAML,
    inline: ['since: 2 hours ago\ncount: 3\n', 'limits: {cpu: 2}\nl: [a, b]\n'],
    templates: ['since: FRAG\n', 'FRAG', 'limits:\n  a: FRAG\n'],
  },
  {
    name: 'drill',
    seedPaths: ['drills'],
    ext: /drills\/[^/]+\.ya?ml$/,
    templates: [
      'name: f\nlab: {hosts: 2, scenarios: {clean: 1}}\nrunbook: r.yaml\nFRAG\n',
      'name: FRAG\nlab: {hosts: 2, scenarios: {clean: 1}}\nrunbook: r.yaml\n',
    ],
  },
  {
    name: 'scenario',
    seedPaths: ['scenarios'],
    ext: /\.ya?ml$/,
    templates: ['name: f\ndescription: FRAG\n', 'FRAG'],
  },
  {
    name: 'known-hosts',
    seedPaths: [],
    ext: /$^/,
    inline: knownHostsSeeds(),
    templates: ['FRAG ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMxYRpKvex4CAXf73dOt+ncBKLYDDhmRNQUskp5eukto\n', 'FRAG\n'],
  },
  {
    name: 'notes',
    seedPaths: ['test/fixtures/report/run-basic/notes.yaml'],
    ext: YAML,
    templates: ['summary: FRAG\n', 'action_items:\n  - {what: FRAG}\n', 'FRAG'],
  },
];

/** Not a loader: proves the harness sees crashes and hangs (its target throws on CRASH, loops on HANG). */
const CANARY: LoaderSpec = {
  name: 'canary',
  seedPaths: [],
  ext: /$^/,
  inline: ['ok', 'CRASH CRASH CRASH', 'HANG HANG HANG'],
  templates: ['FRAG'],
};

/** Patterns and limits from the inventory fixtures' cases. */
function limitSeeds(): string[] {
  const out = new Set<string>(['web:!web03', 'web:&prod', '~db\\d+', 'web[0:2]', 'all', '*']);
  const dir = packagePath('test/fixtures/inventory');
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name, 'case.json');
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as { patterns?: { pattern?: string; limit?: string }[] };
      for (const p of data.patterns ?? []) {
        if (p.pattern) out.add(p.pattern);
        if (p.limit && !p.limit.startsWith('@')) out.add(p.limit);
      }
    } catch {
      // Not every fixture directory is a pattern case.
    }
  }
  return [...out];
}

/** The known_hosts texts of the known-hosts fixtures. */
function knownHostsSeeds(): string[] {
  const dir = packagePath('test/fixtures/known-hosts');
  return readdirSync(dir).map(
    (f) => (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { knownHosts: string }).knownHosts,
  );
}

function walk(abs: string, out: string[]): void {
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isFile()) out.push(abs);
  else if (st.isDirectory()) for (const e of readdirSync(abs).sort()) walk(path.join(abs, e), out);
}

/** The seed inputs of one loader. */
export function seedsOf(spec: LoaderSpec): Buffer[] {
  const files: string[] = [];
  for (const p of spec.seedPaths) walk(packagePath(p), files);
  const fromFiles = files.filter((f) => spec.ext.test(f)).map((f) => readFileSync(f));
  return [...fromFiles, ...(spec.inline ?? []).map((s) => Buffer.from(s))];
}

export function loaderSpec(name: string): LoaderSpec {
  const spec = [...LOADERS, CANARY].find((l) => l.name === name);
  if (!spec) throw new Error(`unknown loader ${name}: known are ${LOADERS.map((l) => l.name).join(', ')}`);
  return spec;
}
