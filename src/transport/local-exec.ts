/**
 * Commands of `ansible_connection=local` hosts: a `/bin/sh` child process of the controller, started
 * `detached` so that, as under sshd, it leads a session and process group of its own (the kill script
 * relies on that, and a Ctrl-C on the controller's terminal does not reach it directly). The kill
 * script runs the same way. Capture, timeout and abort are shared with SSH (wrapped-exec.ts).
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { ConnectionError } from '../core/errors.js';
import type { ExecResult } from '../core/exec.js';
import type { ExecOptions } from '../core/transport.js';
import { execWrapped, type CommandBackend, type ExitStatus, type StartedCommand } from './wrapped-exec.js';

/** How long the kill script may run before we stop it (it bounds itself to ~2.5 s). */
const KILL_SCRIPT_MS = 8000;

/**
 * The environment of an SSH login (user, home, path, locale), not the controller's whole
 * environment: that may hold secrets, e.g. the variable `--become-pass-env` names.
 */
export function loginEnv(from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const user = userInfo();
  const env: NodeJS.ProcessEnv = {
    USER: from.USER ?? user.username,
    LOGNAME: from.LOGNAME ?? user.username,
    HOME: from.HOME ?? user.homedir,
    SHELL: from.SHELL ?? user.shell ?? '/bin/sh',
    PATH: from.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  };
  for (const [k, v] of Object.entries(from)) {
    if (v !== undefined && (k === 'LANG' || k === 'LANGUAGE' || k === 'TZ' || k.startsWith('LC_'))) env[k] = v;
  }
  return env;
}

/** Like sshd: the home directory, or `/` when there is none (a missing cwd would fail the spawn itself). */
function startDir(env: NodeJS.ProcessEnv): string {
  const home = env.HOME ?? homedir();
  try {
    if (statSync(home).isDirectory()) return home;
  } catch {
    /* no home: fall through */
  }
  return '/';
}

/** Spawn `/bin/sh -c commandLine` in its own session; `running` resolves once it runs. */
function spawnShell(hostName: string, commandLine: string, stdout: 'pipe' | 'ignore', env: NodeJS.ProcessEnv) {
  const child = spawn('/bin/sh', ['-c', commandLine], {
    detached: true,
    stdio: ['pipe', stdout, stdout],
    env,
    cwd: startDir(env),
  });
  // A command that exits without reading its stdin makes our write fail with EPIPE: not an error.
  child.stdin?.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const running = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) =>
      reject(new ConnectionError(hostName, `cannot start /bin/sh: ${err.message}`, 'other', { cause: err })),
    );
  });
  return { child, closed, running };
}

async function startLocal(hostName: string, commandLine: string, env: NodeJS.ProcessEnv): Promise<StartedCommand> {
  const { child, closed, running } = spawnShell(hostName, commandLine, 'pipe', env);
  let exit: ExitStatus | undefined;
  child.once('exit', (code, signal) => (exit = { code, signal }));
  await running;
  const stdout = child.stdout!;
  const stderr = child.stderr!;
  return {
    onStdout: (listener) => stdout.on('data', listener),
    onStderr: (listener) => stderr.on('data', listener),
    pause: () => {
      stdout.pause();
      stderr.pause();
    },
    resume: () => {
      stdout.resume();
      stderr.resume();
    },
    end: (data) => child.stdin?.end(data),
    closed,
    exitStatus: () => exit,
    close: () => {
      // Descendants that escaped the kill may hold our pipes open: stop reading them.
      stdout.destroy();
      stderr.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

async function killLocal(
  hostName: string,
  commandLine: string,
  stdin: string | undefined,
  onDispatched: () => void,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const { child, closed, running } = spawnShell(hostName, commandLine, 'ignore', env);
  await running;
  await new Promise<void>((resolve) => {
    void closed.then(resolve);
    child.stdin!.end(stdin, resolve);
  });
  // In its own session it outlives a controller that exits now.
  onDispatched();
  const t = setTimeout(() => child.kill('SIGKILL'), KILL_SCRIPT_MS);
  await closed;
  clearTimeout(t);
}

/** Run `command` on this machine with the semantics of the Transport contract. */
export function runLocalExec(
  hostName: string,
  command: string,
  options: ExecOptions,
  env: NodeJS.ProcessEnv,
): Promise<ExecResult> {
  const backend: CommandBackend = {
    hostName,
    start: (line) => startLocal(hostName, line, env),
    runKill: (line, stdin, onDispatched) => killLocal(hostName, line, stdin, onDispatched, env),
  };
  return execWrapped(backend, command, options);
}
