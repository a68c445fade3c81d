/**
 * Running the machine's own tools (ip, nsenter, ssh-keygen…) for the lab: one place that turns a
 * failed command into an error naming the command and its stderr.
 */
import { execFile, spawn } from 'node:child_process';

export class CommandFailed extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(
      `\`${command}\` failed (exit ${code ?? 'signal'}): ${stderr.trim().split('\n').slice(-3).join(' | ') || stdout.trim().slice(-300)}`,
    );
  }
}

export interface SysResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a program with arguments (never through a shell), optionally feeding stdin; resolve with its output. */
export function sys(
  file: string,
  args: string[],
  options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<SysResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : null
          : 0;
        if (err && code === null && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(err);
        resolve({ code, stdout, stderr });
      },
    );
    // A program may exit without reading its input: that is its answer, not our error.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** Like sys(), but a non-zero exit is an error. */
export async function sysOk(
  file: string,
  args: string[],
  options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const r = await sys(file, args, options);
  if (r.code !== 0) throw new CommandFailed([file, ...args].join(' '), r.code, r.stdout, r.stderr);
  return r.stdout;
}

/** Arguments that run a command inside a lab host's namespaces (net, mount, uts, ipc, pid). */
export function nsenterArgs(initPid: number, command: string[]): string[] {
  return ['-t', String(initPid), '-n', '-m', '-u', '-i', '-p', '--wd=/', '--', ...command];
}

function cleanEnv(env: Record<string, string>): string[] {
  return [
    'env',
    '-i',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOME=/root',
    'LANG=C.UTF-8',
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
  ];
}

/** Run a bash script inside a lab host, as root, with a clean environment plus `env`. */
export function inHost(
  initPid: number,
  script: string,
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<SysResult> {
  return sys('nsenter', nsenterArgs(initPid, [...cleanEnv(env), 'bash', '-c', script]), { timeoutMs });
}

/** Run a bash script in the attacker namespace (network, mounts and PIDs of its own; the machine's files). */
export function inAttacker(
  initPid: number,
  script: string,
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<SysResult> {
  return sys(
    'nsenter',
    ['-t', String(initPid), '-n', '-m', '-p', '--wd=/', '--', ...cleanEnv(env), 'bash', '-c', script],
    { timeoutMs },
  );
}

export interface DetachedChild {
  pid: number;
  /** How it ended, once it has (read from the exit event, never from /proc, which lags behind exec). */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/** Start a long-lived process detached from us (its own session, no stdio tie). */
export function spawnDetached(file: string, args: string[], logFd: number): DetachedChild {
  const child = spawn(file, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${file}`);
  let ended: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.once('exit', (code, signal) => (ended = { code, signal }));
  return { pid: child.pid, exit: () => ended };
}
