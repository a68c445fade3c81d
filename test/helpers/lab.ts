/**
 * Test support for the drill lab: start a lab in a temp dir, run commands in its hosts, and list
 * anything a lab left behind (processes, mounts, links, files).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quote } from '../../src/core/index.js';
import { planStep } from '../../src/engine/planner.js';
import { inHost, labDown, type LabState } from '../../src/lab/index.js';
import type { Step } from '../../src/runbook/index.js';

export const isRoot = process.getuid?.() === 0;

export function labTempDir(tag: string): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), `fb-${tag}-`)), 'lab');
}

/** Run a bash script inside a lab host; resolve with its exit code and output. */
export async function onHost(
  state: LabState,
  name: string,
  script: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const host = state.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`no lab host ${name}`);
  return inHost(host.initPid, script);
}

/**
 * The verify command `resume` would run for a step (planned as the run plans it, `become` as root),
 * run on a lab host under sh: its last line, the verdict (`done: …`, `absent: …`, `unknown: …`).
 */
export async function verdictOn(
  state: LabState,
  name: string,
  type: string,
  params: object,
  registered: Record<string, unknown> = {},
): Promise<string> {
  const host = { name, vars: {}, groups: [] };
  const planned = planStep({ [type]: params, become: true } as unknown as Step, {
    host,
    params: {},
    registered,
    runbookDir: '.',
    remoteTmp: '/tmp/.firebreak-verify',
  });
  assert.ok(planned.verify, `${type} has a verify`);
  const r = await onHost(state, name, `sh -c ${quote(planned.verify)}`);
  assert.equal(r.code, 0, `${type} verify: ${r.stdout}${r.stderr}`);
  return r.stdout.trimEnd().split('\n').pop() ?? '';
}

/** Everything of a lab still present on the machine; empty after a clean `lab down`. */
export function labLeftovers(state: LabState): string[] {
  const left: string[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(state.dir)) left.push(`process ${d}`);
    } catch {
      /* exited meanwhile */
    }
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(state.dir));
  left.push(...mounts.map((m) => `mount ${m}`));
  const links = JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' }) || '[]') as {
    ifname: string;
  }[];
  const prefix = `fb${state.network.index}`;
  left.push(
    ...links
      .filter((l) => l.ifname === state.network.bridge || new RegExp(`^${prefix}(h\\d+|x)$`).test(l.ifname))
      .map((l) => `link ${l.ifname}`),
  );
  if (existsSync(state.dir)) left.push(`dir ${state.dir}`);
  return left;
}

/** `after()` of a lab test: lab down, prove nothing is left, remove the temp dir around the lab. */
/** Take down a test's lab (when it came up) and always remove its temp dir (also when \`lab up\` failed). */
export async function removeLab(state: LabState | undefined, dir: string | undefined): Promise<void> {
  try {
    if (state) {
      await labDown(state.dir).catch(() => undefined);
      assert.deepEqual(labLeftovers(state), [], 'lab down leaves nothing behind');
    }
  } finally {
    if (dir) rmSync(path.dirname(dir), { recursive: true, force: true });
  }
}
