/**
 * `npm run bench:crash -- [--trials 20] [--hosts 6] [--seed 1] [--first 1] [--out FILE]`: the crash trials of issue 13.
 * Each trial starts a fresh drill lab (hosts alternate compromised and clean), runs
 * runbooks/outbound-ssh-attack.yaml through the real CLI, SIGKILLs the controller at a seeded point
 * (between steps, or inside an isolate, collect, lock_user, kill_process, backup, rebuild, restore or
 * harden step, or while the report is written), then runs `firebreak resume` to the end and checks:
 * every (host, step) finished exactly once, a step started twice only where resume said why, the
 * run exits 0, every host rebuilt with none of its scenario's indicators left and its data restored
 * with the backed-up hashes, the preserved dropper binaries hash as planted, and the run verifies.
 * Prints one table row per trial (markdown) and writes them all to --out.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkTruth, labDown, labUp, readLabState, type LabState } from '../src/lab/index.js';
import { onHost } from '../test/helpers/lab.js';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '20' },
    hosts: { type: 'string', default: '6' },
    seed: { type: 'string', default: '1' },
    /** The first trial's number (its kill point kind is the number's rest modulo the kinds). */
    first: { type: 'string', default: '1' },
    out: { type: 'string', default: join(root, 'bench/results/crash-resume.md') },
  },
});
const trials = Number(values.trials);
const hostCount = Number(values.hosts);
const seed = Number(values.seed);

type Event = Record<string, unknown> & { type: string; host?: string; index?: number; stepType?: string };
interface Point {
  name: string;
  /** The event after which (plus `delayMs`) the controller dies. */
  hit: (e: Event, seen: Event[]) => boolean;
  delayMs: number;
}

/** mulberry32: small, seeded, reproducible. */
function rng(s: number): () => number {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INSIDE = ['isolate', 'collect', 'lock_user', 'kill_process', 'backup', 'rebuild', 'restore', 'harden'];
function pointFor(trial: number, random: () => number): Point {
  const kind = trial % (INSIDE.length + 2);
  if (kind < INSIDE.length) {
    const type = INSIDE[kind]!;
    const nth = 1 + Math.floor(random() * 2);
    return {
      name: `inside ${type} (#${nth})`,
      hit: (e, seen) =>
        e.type === 'step.started' &&
        e.stepType === type &&
        seen.filter((x) => x.type === 'step.started' && x.stepType === type).length === nth,
      delayMs: Math.floor(random() * 4000),
    };
  }
  if (kind === INSIDE.length) {
    const n = 3 + Math.floor(random() * 40);
    return {
      name: `between steps (after step.finished #${n})`,
      hit: (e, seen) => e.type === 'step.finished' && seen.filter((x) => x.type === 'step.finished').length === n,
      delayMs: 0,
    };
  }
  return {
    name: 'as the run ends (run.finished journaled)',
    hit: (e) => e.type === 'run.finished',
    delayMs: Math.floor(random() * 300),
  };
}

const cli = (args: string[]) => [join(root, 'bin/firebreak.js'), ...args];

function journal(runDir: string): Event[] {
  return readFileSync(join(runDir, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Event];
      } catch {
        return []; // a torn last line
      }
    });
}

/** Run the CLI; SIGKILL it once `point` is hit. Resolves with whether it was killed. */
function runUntil(args: string[], runs: string, point: Point): Promise<boolean> {
  return new Promise((done) => {
    const child = spawn(process.execPath, cli(args), { cwd: root, stdio: 'ignore', env: { ...process.env, CI: '1' } });
    let killed = false;
    const poll = setInterval(() => {
      const dirs = existsSync(runs) ? readdirSync(runs) : [];
      if (!dirs[0] || !existsSync(join(runs, dirs[0], 'journal.jsonl'))) return;
      const seen = journal(join(runs, dirs[0]));
      const at = seen.findIndex((e, i) => point.hit(e, seen.slice(0, i + 1)));
      if (at < 0 || killed) return;
      killed = true;
      clearInterval(poll);
      setTimeout(() => child.kill('SIGKILL'), point.delayMs);
    }, 50);
    child.on('exit', () => {
      clearInterval(poll);
      done(killed);
    });
  });
}

function firebreak(args: string[]): { code: number; out: string } {
  try {
    return {
      code: 0,
      out: execFileSync(process.execPath, cli(args), {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, CI: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 900_000,
      }),
    };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

async function check(state: LabState, runDir: string, planted: LabState['hosts']): Promise<string[]> {
  const problems: string[] = [];
  const events = journal(runDir);
  const finished = new Map<string, number>();
  const startedTwice: string[] = [];
  const starts = new Map<string, number>();
  for (const e of events) {
    const key = `${e.host}#${String(e.index)}`;
    if (e.type === 'step.finished') finished.set(key, (finished.get(key) ?? 0) + 1);
    if (e.type === 'step.started') starts.set(key, (starts.get(key) ?? 0) + 1);
  }
  for (const [k, n] of finished) if (n !== 1) problems.push(`${k} finished ${n} times`);
  for (const [k, n] of starts) if (n > 1) startedTwice.push(k);
  for (const k of startedTwice) {
    const [host, index] = k.split('#');
    const fin = events.find((e) => e.type === 'step.finished' && e.host === host && String(e.index) === index);
    if (!(fin?.outcome as { resumed?: string } | undefined)?.resumed)
      problems.push(`${k} started twice without a resume decision`);
  }
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { exitCode: number };
  if (summary.exitCode !== 0) problems.push(`exit ${summary.exitCode}`);
  const now = readLabState(state.dir);
  for (const [i, h] of now.hosts.entries()) {
    if (h.generation < 1) problems.push(`${h.name} not rebuilt`);
    const before = planted[i]!;
    for (const s of before.scenarios) {
      const left = (await checkTruth(h, s)).filter((t) => t.present).map((t) => t.id);
      if (left.length) problems.push(`${h.name}: ${left.join(',')} still present`);
      const exe = events.find(
        (e) =>
          e.type === 'evidence.stored' &&
          e.host === h.name &&
          (e.artifact as { label: string }).label === `kill_process/${s.facts.dropper_pid}/exe`,
      );
      if (
        s.facts.dropper_sha256 &&
        (exe?.artifact as { sha256?: string } | undefined)?.sha256 !== s.facts.dropper_sha256
      )
        problems.push(`${h.name}: the dropper binary was not preserved with its hash`);
    }
    const data = await onHost(now, h.name, 'sha256sum /srv/app/data.bin | cut -c1-64');
    if (data.stdout.trim() !== readFileSync(join(state.dir, '..', `data-${h.name}.sha256`), 'utf8').trim())
      problems.push(`${h.name}: /srv/app/data.bin not restored`);
  }
  const v = firebreak(['evidence', 'verify', runDir]);
  if (v.code !== 0) problems.push(`evidence verify exit ${v.code}`);
  return problems;
}

const rows: string[] = [
  '| trial | killed | kill point | resume exit | steps rerun (why) | wall s | result |',
  '|---|---|---|---|---|---|---|',
];
const random = rng(seed);
const first = Number(values.first);
for (let t = first; t < first + trials; t++) {
  const point = pointFor(t - 1, random);
  const work = mkdtempSync(join(tmpdir(), 'fb-crash-'));
  const dir = join(work, 'lab');
  const runs = join(work, 'runs');
  const t0 = Date.now();
  let row = '';
  try {
    const compromised = Math.ceil(hostCount / 2);
    const state = await labUp({
      dir,
      hosts: hostCount,
      scenarios: [
        { name: 'outbound-ssh-bruteforce', count: compromised },
        ...(hostCount > compromised ? [{ name: 'clean', count: hostCount - compromised }] : []),
      ],
    });
    for (const h of state.hosts) {
      const r = await onHost(
        state,
        h.name,
        'mkdir -p /srv/app && head -c 65536 /dev/urandom > /srv/app/data.bin && sha256sum /srv/app/data.bin | cut -c1-64',
      );
      writeFileSync(join(work, `data-${h.name}.sha256`), r.stdout.trim());
    }
    const self = `${process.execPath} ${join(root, 'bin/firebreak.js')}`;
    const args = [
      'run',
      'runbooks/outbound-ssh-attack.yaml',
      '-i',
      state.files.inventory,
      '--runs-dir',
      runs,
      '--yes',
      '-e',
      `rebuild_command=${self} lab reset --dir ${dir}`,
      '-e',
      'deep_collection=false',
    ];
    const killed = await runUntil(args, runs, point);
    const runDir = join(runs, readdirSync(runs)[0]!);
    // Always resumed: a run killed after its summary but before its seal gets sealed (exit: the run's);
    // one killed after its seal is refused as finished (exit 8), which is right too.
    const resumed = firebreak(['resume', runDir, '--yes']);
    if (!existsSync(join(runDir, 'report.md'))) firebreak(['report', runDir]);
    const problems = await check(state, runDir, state.hosts);
    // A failed trial keeps what explains it: resume's output and the journal.
    if (problems.length)
      writeFileSync(
        `${values.out}.trial-${t}.log`,
        `${resumed.out}\n--- journal ---\n${readFileSync(join(runDir, 'journal.jsonl'), 'utf8')}`,
      );
    const reruns = journal(runDir)
      .flatMap((e) =>
        e.type === 'step.finished' && (e.outcome as { resumed?: string }).resumed
          ? [`${e.host}#${String(e.index)}: ${(e.outcome as { resumed: string }).resumed.slice(0, 60)}`]
          : [],
      )
      .join('; ');
    row = `| ${t} | ${killed ? 'yes' : 'no (ended first)'} | ${point.name} | ${resumed.code} | ${reruns || '-'} | ${((Date.now() - t0) / 1000).toFixed(0)} | ${problems.length ? `FAIL: ${problems.join('; ')}` : 'ok'} |`;
  } catch (err) {
    row = `| ${t} | ? | ${point.name} | - | - | ${((Date.now() - t0) / 1000).toFixed(0)} | ERROR: ${(err as Error).message.split('\n')[0]} |`;
  } finally {
    await labDown(dir).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
  rows.push(row);
  process.stdout.write(`${row}\n`);
  writeFileSync(values.out, `${rows.join('\n')}\n`);
}
