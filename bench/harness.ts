/**
 * What the benches share: running a measured command (wall time, and CPU and peak RSS through
 * bench/usage-probe.mjs), medians, the bare-ssh2 floor and a `firebreak run` of the triage workload
 * over a loopback fleet, CPU and RSS of long-running processes read from /proc, and stopping every
 * process a bench started (by PID) when it ends, fails or is interrupted.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startFleet, type Fleet } from '../src/lab/loopback-fleet.js';

export interface Measure {
  wallMs: number;
  cpuMs?: number;
  maxRssMb?: number;
}

export const root = resolve(import.meta.dirname, '..');
export const probe = join(root, 'bench', 'usage-probe.mjs');

/** A measured run is killed (and the bench fails) after this long. */
export const MEASURE_TIMEOUT_MS = 30 * 60_000;

/** Measured children still running: killed by PID if the bench is interrupted. */
const running = new Set<ChildProcess>();

export function killChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, signal);
  } catch {
    // already gone
  }
}

export function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Run a command to completion; a non-zero exit fails the bench (a broken run is not a measurement). */
export function measure(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
  tmp: string,
  timeoutMs = MEASURE_TIMEOUT_MS,
): Promise<Measure> {
  const usageFile = join(tmp, `usage-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const started = process.hrtime.bigint();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: root,
      env: { ...process.env, ...env, FIREBREAK_BENCH_USAGE: usageFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    running.add(child);
    // Bounded: a run that hangs is SIGKILLed and fails the bench.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killChild(child);
    }, timeoutMs);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
    child.on('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) {
        const why = timedOut ? `did not end within ${timeoutMs / 1000} s (killed)` : `exited ${code ?? signal}`;
        return reject(new Error(`${cmd} ${args.join(' ')} ${why}\n${stderr.slice(-2000)}`));
      }
      let usage: { cpuMs?: number; maxRssKb?: number } = {};
      try {
        usage = JSON.parse(readFileSync(usageFile, 'utf8')) as typeof usage;
      } catch {
        // Tools we do not preload (ansible, pssh) report wall time only.
      }
      resolvePromise({
        wallMs,
        cpuMs: usage.cpuMs,
        maxRssMb: usage.maxRssKb !== undefined ? usage.maxRssKb / 1024 : undefined,
      });
    });
  });
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

export function summarize(runs: Measure[]): Measure {
  const pick = (f: (m: Measure) => number | undefined): number | undefined => {
    const v = runs.map(f).filter((x): x is number => x !== undefined);
    return v.length ? median(v) : undefined;
  };
  return { wallMs: median(runs.map((r) => r.wallMs)), cpuMs: pick((r) => r.cpuMs), maxRssMb: pick((r) => r.maxRssMb) };
}

/**
 * The floor (bench/floor.mjs: bare ssh2, one connection per host, all at once) over the fleet;
 * `connectTimeoutSec`: how long a connection may take to be ready (the floor's default is 30 s).
 */
export function floorRunner(fleet: Fleet, tmp: string, connectTimeoutSec?: number): () => Promise<Measure> {
  const hostsJson = join(tmp, 'hosts.json');
  writeFileSync(
    hostsJson,
    JSON.stringify(
      fleet.hosts.map((h) => ({ address: h.address, port: h.port, user: 'root', privateKeyFile: fleet.clientKeyPath })),
    ),
  );
  const env: Record<string, string> =
    connectTimeoutSec !== undefined ? { FIREBREAK_BENCH_READY_TIMEOUT_MS: String(connectTimeoutSec * 1000) } : {};
  return () => measure(process.execPath, ['--import', probe, 'bench/floor.mjs', hostsJson], env, tmp);
}

/** The `firebreak` arguments for a `--connect-timeout` given to a bench, if any. */
export const connectTimeoutArgs = (sec: number | undefined): string[] =>
  sec !== undefined ? ['--connect-timeout', String(sec)] : [];

/** `firebreak run bench/workload.yaml` (built CLI, usage probe preloaded) with `--forks` = host count. */
export function firebreakRun(
  fleet: Fleet,
  tmp: string,
  o: { forks: number; inventory?: string; runsDir?: string; extra?: string[]; env?: Record<string, string> },
): Promise<Measure> {
  return measure(
    process.execPath,
    [
      '--import',
      probe,
      'bin/firebreak.js',
      'run',
      'bench/workload.yaml',
      '-i',
      o.inventory ?? fleet.inventoryPath,
      '--known-hosts',
      fleet.knownHostsPath,
      '--forks',
      String(o.forks),
      '--runs-dir',
      o.runsDir ?? join(tmp, 'runs'),
      ...(o.extra ?? []),
    ],
    { CI: '1', ...o.env },
    tmp,
  );
}

/** CPU time (user + system, own and waited-for children) of a running process, in ms, from /proc. */
export function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i] ?? 0), 0);
    return ticks * 10; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** Current (VmRSS) and peak (VmHWM) resident memory of a running process, in MB. */
export function procRssMb(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

/**
 * Cleanups run once, last registered first, when the bench ends (call `runCleanups()` in `finally`)
 * or on SIGINT / SIGTERM (then the process exits 130 / 143). Measured children are SIGKILLed first.
 * Each cleanup is bounded by `boundMs`: an interrupted bench never hangs on its own teardown.
 */
const cleanups: Array<{ what: string; fn: () => Promise<void> | void }> = [];
let cleaning: Promise<void> | undefined;

export function onCleanup(what: string, fn: () => Promise<void> | void): void {
  cleanups.push({ what, fn });
}

export function runCleanups(boundMs = 30_000): Promise<void> {
  cleaning ??= (async () => {
    for (const c of running) killChild(c);
    for (const c of cleanups.splice(0).reverse()) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.resolve().then(c.fn),
          new Promise<void>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`took over ${boundMs} ms`)), boundMs);
          }),
        ]);
      } catch (err) {
        process.stderr.write(`cleanup of ${c.what} failed: ${(err as Error).message}\n`);
      } finally {
        clearTimeout(timer);
      }
    }
  })();
  return cleaning;
}

/** SIGINT / SIGTERM: clean up, then exit; a second signal exits at once (the exit hooks still kill by PID). */
export function cleanupOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => {
      if (cleaning) process.exit(code);
      process.stderr.write(`${signal}: stopping what the bench started\n`);
      void runCleanups().finally(() => process.exit(code));
    });
  }
}

/**
 * A temp dir and a loopback fleet of `hosts` sshd hosts for `body`; both are removed afterwards, with
 * whatever else `body` registered with onCleanup(), also when it throws or on SIGINT / SIGTERM.
 */
export async function withFleet(
  name: string,
  hosts: number,
  body: (fleet: Fleet, tmp: string) => Promise<void>,
): Promise<void> {
  cleanupOnSignals();
  const tmp = mkdtempSync(join(tmpdir(), `${name}-`));
  onCleanup('the temp dir', () => rmSync(tmp, { recursive: true, force: true }));
  try {
    const fleet = await startFleet({ hosts });
    onCleanup('the fleet', () => fleet.stop());
    await body(fleet, tmp);
  } finally {
    await runCleanups();
  }
}
