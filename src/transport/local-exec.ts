/**
 * Commands of `ansible_connection=local` hosts: a `/bin/sh` child process of the controller, started
 * `detached` so that, as under sshd, it leads a session and process group of its own (the kill script
 * relies on that, and a Ctrl-C on the controller's terminal does not reach it directly). The kill
 * script runs the same way. Capture, timeout, abort and kill are shared with SSH (channel-exec.ts):
 * a child process is one more kind of channel.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { ConnectionError } from '../core/errors.js';
import type { ExecResult } from '../core/exec.js';
import type { ExecOptions } from '../core/transport.js';
import { runChannelExec, type ChannelExit, type CommandChannel } from './channel-exec.js';

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

/** Start `/bin/sh -c commandLine` in a session of its own, as a channel. */
async function openLocal(hostName: string, commandLine: string, env: NodeJS.ProcessEnv): Promise<CommandChannel> {
  const child = spawn('/bin/sh', ['-c', commandLine], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env,
    cwd: startDir(env),
  });
  // A command that exits without reading its stdin makes our write fail with EPIPE: not an error.
  child.stdin.on('error', () => undefined);
  let exit: ChannelExit | undefined;
  child.once('exit', (code, signal) => (exit = { code, signal }));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) =>
      reject(new ConnectionError(hostName, `cannot start /bin/sh: ${err.message}`, 'other', { cause: err })),
    );
  });
  const { stdout, stderr } = child;
  return {
    closed,
    exit: () => exit,
    // A child process always reports how it ended; none means it was lost with its pipes.
    noStatus: () => Promise.resolve('lost'),
    onStdout: (cb) => stdout.on('data', cb),
    onStderr: (cb) => stderr.on('data', cb),
    pause: () => {
      stdout.pause();
      stderr.pause();
    },
    resume: () => {
      stdout.resume();
      stderr.resume();
    },
    end: (data, done) => (data === undefined ? child.stdin.end(done) : child.stdin.end(data, done)),
    close: () => {
      // Descendants that escaped the kill may hold our pipes open: stop reading them.
      stdout.destroy();
      stderr.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Run `command` on this machine with the semantics of the Transport contract. */
export function runLocalExec(
  hostName: string,
  command: string,
  options: ExecOptions,
  env: NodeJS.ProcessEnv,
): Promise<ExecResult> {
  return runChannelExec((line) => openLocal(hostName, line, env), hostName, command, options);
}
