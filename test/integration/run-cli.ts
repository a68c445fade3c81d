/**
 * Support for the end-to-end tests of `firebreak run` / `plan`: spawn the real CLI as a child process
 * (never in-process, so exit codes, signals and stdout are the user's), read what a run left behind,
 * and look at fleet hosts over an independent OpenSSH `ssh` client (not firebreak's own transport, so a
 * transport bug cannot hide itself from the check).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Fleet } from '../helpers/fleet.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const E2E = path.join(REPO, 'test/fixtures/e2e');

/** What a finished CLI process left. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From spawn to exit. */
  ms: number;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  /** Hard limit: the child is SIGKILLed and the promise rejects after this long. Default 45 s. */
  timeoutMs?: number;
  /**
   * Run the built CLI (`bin/firebreak.js`, the bundle in dist/: what users run), the default; false runs
   * the sources through tsx (about 1.8 s more CPU per start, which a suite of hundreds of starts feels).
   */
  built?: boolean;
  /** Working directory of the CLI. Default the repository. */
  cwd?: string;
}

/** A running CLI: its process, its output so far, and a way to wait for something to appear in it. */
export interface RunningCli {
  child: ChildProcess;
  out: { stdout: string; stderr: string };
  done: Promise<CliResult>;
  /** Resolve when `test(stdout, stderr)` is true; reject after `ms` or when the CLI exits first. */
  waitFor(test: (stdout: string, stderr: string) => boolean, ms: number, what: string): Promise<void>;
}

/** The built CLI, as installed users run it. */
export const FIREBREAK_BIN = path.join(REPO, 'bin/firebreak.js');

let checkedBuild = false;
/**
 * Build dist/ once per test process if src/ changed since (`npm test` did it already; a single test
 * file run by hand may not have): the tests must never run a stale bundle.
 */
export function ensureBuilt(): void {
  if (checkedBuild) return;
  execFileSync(process.execPath, [path.join(REPO, 'scripts/build-if-stale.mjs')], { cwd: REPO, stdio: 'ignore' });
  checkedBuild = true;
}

/** Start `firebreak <args>` with the plain renderer (CI=1), stdin not a TTY. */
export function startCli(args: string[], opts: CliOptions = {}): RunningCli {
  const started = Date.now();
  const built = opts.built ?? true;
  if (built) ensureBuilt();
  // Absolute paths, so the CLI can run in any working directory.
  const entry = built
    ? [FIREBREAK_BIN]
    : [
        '--import',
        pathToFileURL(path.join(REPO, 'node_modules/tsx/dist/loader.mjs')).href,
        path.join(REPO, 'src/cli/main.ts'),
      ];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out.stdout += c;
    for (const l of listeners) l();
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    out.stderr += c;
    for (const l of listeners) l();
  });
  const limit = opts.timeoutMs ?? 45_000;
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `firebreak ${args.join(' ')} still running after ${limit} ms\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`,
        ),
      );
    }, limit);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      for (const l of listeners) l();
      resolve({ code, signal, ...out, ms: Date.now() - started });
    });
  });
  const waitFor = (test: (stdout: string, stderr: string) => boolean, ms: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      const finish = (err?: Error) => {
        clearTimeout(timer);
        listeners.delete(check);
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        if (test(out.stdout, out.stderr)) finish();
        else if (child.exitCode !== null || child.signalCode !== null)
          finish(new Error(`CLI exited before ${what}\n${out.stdout}\n${out.stderr}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`timed out after ${ms} ms waiting for ${what}\n${out.stdout}\n${out.stderr}`)),
        ms,
      );
      listeners.add(check);
      check();
    });
  return { child, out, done, waitFor };
}

/** The arguments of `firebreak run RUNBOOK` on a test fleet: its inventory and known_hosts, into `runs`. */
export function fleetRun(fleet: Fleet, runbook: string, runs: string, ...extra: string[]): string[] {
  return [
    'run',
    runbook,
    '-i',
    fleet.inventoryPath,
    '--known-hosts',
    fleet.knownHostsPath,
    '--runs-dir',
    runs,
    ...extra,
  ];
}

/** Run `firebreak <args>` to the end. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** The one run directory a run created under `runsDir` (fails if there is not exactly one). */
export function onlyRunDir(runsDir: string): string {
  const dirs = readdirSync(runsDir).filter((d) => statSync(path.join(runsDir, d)).isDirectory());
  if (dirs.length !== 1)
    throw new Error(`expected one run directory in ${runsDir}, found ${dirs.length}: ${dirs.join(', ')}`);
  return path.join(runsDir, dirs[0] as string);
}

/** A journal event: loosely typed on purpose, the tests assert on concrete fields. */
export type JournalEvent = Record<string, unknown> & { type: string; host?: string; step?: string };

/** The journal's events as emitted: without `prev`, the hash-chain link every line carries. */
export function readJournal(runDir: string): JournalEvent[] {
  return readFileSync(path.join(runDir, 'journal.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const { prev: _prev, ...event } = JSON.parse(l) as JournalEvent;
      return event as JournalEvent;
    });
}

export interface Summary {
  exitCode: number;
  counts: { hosts: number; ok: number; failed: number; unreachable: number; aborted: number };
  recap: Array<{
    host: string;
    state: string;
    ok: number;
    failed: number;
    skipped: number;
    ignored: number;
    unreachable: boolean;
  }>;
}

export function readSummary(runDir: string): Summary {
  return JSON.parse(readFileSync(path.join(runDir, 'summary.json'), 'utf8')) as Summary;
}

/** Every regular file under `dir`, recursively (bounded depth), with its bytes. */
export async function allFiles(dir: string, depth = 8): Promise<Array<{ file: string; bytes: Buffer }>> {
  const out: Array<{ file: string; bytes: Buffer }> = [];
  const walk = async (d: string, left: number): Promise<void> => {
    if (left < 0) throw new Error(`directory tree deeper than expected at ${d}`);
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p, left - 1);
      else if (e.isFile()) out.push({ file: p, bytes: await fs.readFile(p) });
    }
  };
  await walk(dir, depth);
  return out;
}

/** Run a command on a fleet host through the system OpenSSH client, independent of firebreak. */
export function sshRun(
  fleet: Fleet,
  host: string,
  command: string,
  user = 'root',
): Promise<{ code: number; stdout: string; stderr: string }> {
  const h = fleet.host(host);
  const args = [
    '-F',
    '/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${fleet.knownHostsPath}`,
    '-o',
    'ConnectTimeout=5',
    '-i',
    fleet.clientKeyPath,
    '-p',
    String(h.port),
    `${user}@${h.address}`,
    command,
  ];
  return new Promise((resolve, reject) => {
    execFile('ssh', args, { timeout: 15_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      if (code === 255 || code === -1) reject(new Error(`ssh to ${host} failed (${code}): ${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

/** Command lines of processes on `host` whose whole argv matches `regex` (seen in that host's pid namespace). */
export async function remoteProcesses(fleet: Fleet, host: string, regex: string): Promise<string[]> {
  // `pgrep -f` matches the full argv. The shell that runs pgrep holds the regex text in its own argv:
  // callers write the regex so that its text does not match itself, e.g. `[s]leep 1000$`.
  const r = await sshRun(fleet, host, `pgrep -af ${shq(regex)}; true`);
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}

/** Poll `fn` until it returns true, at most `ms` (bounded: every 100 ms). */
export async function until(fn: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  for (let i = 0; i < Math.ceil(ms / 100) + 1; i++) {
    if (await fn()) return;
    if (Date.now() > end) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** Local process command lines (the fleet hosts' namespaces are inside this machine's pid namespace). */
export function localProcessArgs(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile('ps', ['-eo', 'args', '--no-headers'], { timeout: 5_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout.split('\n')),
    );
  });
}

/** POSIX single-quote for the few commands the tests build themselves. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
