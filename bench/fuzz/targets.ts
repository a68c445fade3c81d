/**
 * What each loader runs on one input, in the child process: the input is written where the real
 * loader reads it (a file in the child's scratch directory) or passed as the command-line string,
 * and the loader is called as the CLI calls it. A target resolves (accepted) or throws; classify.ts
 * decides what the throw means.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadDrill } from '../../src/drill/load.js';
import { loadInventory, selectHosts, type Inventory } from '../../src/inventory/index.js';
import { loadScenarioFile } from '../../src/lab/scenarios/load.js';
import { readNotes } from '../../src/report/notes.js';
import { loadRunbook, parseExtraVars, readParamsFile, resolveParams, type ParamSpec } from '../../src/runbook/index.js';
import { packagePath } from '../../src/core/package-root.js';
import { checkHostKey, knownKeyTypes } from '../../src/transport/known-hosts.js';
import { KnownHostsStore } from '../../src/transport/known-hosts-store.js';

export type Target = (input: Buffer, dir: string, index: number) => Promise<unknown>;

/** Params of every type, so `-e` and `--params` values reach each type check. */
const SPECS: Record<string, ParamSpec> = {
  since: { type: 'string', default: '1 hour ago' },
  count: { type: 'number' },
  dry: { type: 'boolean' },
  version: { type: 'string' },
  limits: { type: 'map' },
  l: { type: 'list' },
  x: { type: 'string' },
} as Record<string, ParamSpec>;

const KEY = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIMxYRpKvex4CAXf73dOt+ncBKLYDDhmRNQUskp5eukto', 'base64');
const HOSTS: [string, number][] = [
  ['127.0.0.2', 2222],
  ['web01.example.com', 22],
  ['n001', 22],
];

function write(dir: string, name: string, input: Buffer): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, input);
  return file;
}

let limitInventory: Promise<Inventory> | undefined;

export const TARGETS: Record<string, Target> = {
  runbook: (input, dir) => loadRunbook(write(dir, 'runbook.yaml', input)),
  // Every other case has no extension: the YAML reader goes first and falls back to INI, as in Ansible.
  'inventory-ini': (input, dir, i) => loadInventory([write(dir, `ini/${i % 2 ? 'hosts' : 'hosts.ini'}`, input)]),
  'inventory-yaml': (input, dir) => loadInventory([write(dir, 'yaml/hosts.yml', input)]),
  'inventory-vars': (input, dir, i) => {
    const hosts = write(dir, 'vars/hosts.ini', Buffer.from('[web]\nweb1\nweb2\n[db]\ndb1\n'));
    const vars = i % 2 ? 'host_vars/web1.yml' : 'group_vars/web.yml';
    write(dir, `vars/${i % 2 ? 'group_vars/web.yml' : 'host_vars/web1.yml'}`, Buffer.from('{}\n'));
    write(dir, `vars/${vars}`, input);
    return loadInventory([hosts]);
  },
  // A host list is a `-i` argument with a comma in it; without one it would be read as a path.
  'host-list': (input) => {
    const text = input.toString('utf8');
    return loadInventory([text.includes(',') ? text : `${text},`]);
  },
  limit: async (input) => {
    limitInventory ??= loadInventory([
      packagePath('inventories/example.ini'),
      packagePath('test/fixtures/inventory/ini-basic/hosts.ini'),
    ]);
    return selectHosts(await limitInventory, 'all', input.toString('utf8'));
  },
  'extra-vars': async (input) => {
    const text = input.toString('utf8');
    // `-e @file` is the params-file target; here the argument is always key=value.
    return resolveParams(SPECS, parseExtraVars([text.includes('=') && !text.startsWith('@') ? text : `x=${text}`]));
  },
  'params-file': async (input, dir) => resolveParams(SPECS, readParamsFile(write(dir, 'params.yaml', input))),
  drill: async (input, dir) => loadDrill(write(dir, 'drill.yaml', input)),
  scenario: async (input, dir) => loadScenarioFile(write(dir, 'scenario.yaml', input)),
  'known-hosts': async (input, dir) => {
    const entries = await new KnownHostsStore(write(dir, 'known_hosts', input)).entries();
    return HOSTS.map(([host, port]) => [checkHostKey(entries, host, port, KEY), knownKeyTypes(entries, host, port)]);
  },
  notes: async (input, dir) => readNotes(write(dir, 'notes.yaml', input)),
  // Canaries: prove the harness sees a crash and a hang (used by its own test).
  canary: async (input) => {
    const text = input.toString('utf8');
    if (text.includes('CRASH')) throw new RangeError('Maximum call stack size exceeded');
    if (text.includes('HANG')) for (;;);
    return text;
  },
};
