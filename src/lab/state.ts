/**
 * `lab.json`: everything a later `lab` command needs to find, change or remove what `lab up` made.
 * Written atomically after every change, under a lock, so a crash never leaves a lab that `lab down`
 * cannot tear down.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { InputError } from '../core/index.js';

const indicatorSchema = z.object({
  id: z.string(),
  kind: z.string(),
  finding: z.string().optional(),
  description: z.string(),
  match: z.record(z.string(), z.union([z.string(), z.number()])),
  check: z.string(),
});

const plantedSchema = z.object({
  scenario: z.string(),
  facts: z.record(z.string(), z.string()),
  indicators: z.array(indicatorSchema),
});

const faultSchema = z.object({
  down: z.boolean().optional(),
  slowMs: z.number().optional(),
  lossPct: z.number().optional(),
});

const hostSchema = z.object({
  name: z.string(),
  number: z.number(),
  address: z.string(),
  veth: z.string(),
  /** PID of the `unshare` holding the host's namespaces (its death takes the whole host with it). */
  pid: z.number(),
  /** PID of the host's init (PID 1 inside), the target for `nsenter`. */
  initPid: z.number(),
  hostKey: z.string(),
  /** Bumped by every `lab reset` ("reinstall"). */
  generation: z.number(),
  scenarios: z.array(plantedSchema),
  faults: faultSchema,
});

export const labStateSchema = z.object({
  version: z.literal(1),
  id: z.string(),
  dir: z.string(),
  createdAt: z.string(),
  network: z.object({
    index: z.number(),
    cidr: z.string(),
    prefix: z.literal(20),
    controller: z.string(),
    attacker: z.string(),
    bridge: z.string(),
  }),
  files: z.object({ inventory: z.string(), knownHosts: z.string(), clientKey: z.string(), attackerKey: z.string() }),
  attacker: z.object({ pid: z.number(), initPid: z.number(), veth: z.string() }).optional(),
  hosts: z.array(hostSchema),
});

export type LabState = z.infer<typeof labStateSchema>;
export type LabHostState = z.infer<typeof hostSchema>;
export type PlantedScenario = z.infer<typeof plantedSchema>;
export type Indicator = z.infer<typeof indicatorSchema>;
export type LabFaults = z.infer<typeof faultSchema>;

export function statePath(dir: string): string {
  return join(dir, 'lab.json');
}

export function readLabState(dir: string): LabState {
  let text: string;
  try {
    text = readFileSync(statePath(dir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new InputError(`no lab in ${dir} (no lab.json): start one with \`firebreak lab up\`, or pass --dir`);
    throw err;
  }
  const parsed = labStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new InputError(
      `${statePath(dir)} is not a lab state file this firebreak understands: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  return parsed.data;
}

export function writeLabState(state: LabState): void {
  const file = statePath(state.dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

export function findHost(state: LabState, name: string): LabHostState {
  const host = state.hosts.find((h) => h.name === name);
  if (!host)
    throw new InputError(
      `no host ${name} in the lab at ${state.dir} (hosts: ${state.hosts[0]?.name ?? '-'}…${state.hosts.at(-1)?.name ?? '-'})`,
    );
  return host;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Run `fn` holding the lab's lock, so two `lab` commands never write lab.json over each other.
 * A lock left by a dead process is taken over.
 */
export async function withLabLock<T>(dir: string, fn: () => Promise<T>, waitMs = 120_000): Promise<T> {
  const lock = join(dir, 'lab.lock');
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lock, 'utf8').trim() || '0');
      if (holder && !pidAlive(holder)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new InputError(`the lab at ${dir} is busy (another firebreak lab command, PID ${holder}, holds ${lock})`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}
