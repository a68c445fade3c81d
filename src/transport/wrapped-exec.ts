/**
 * What every transport's `exec` shares, whatever carries the bytes (an ssh2 channel, a local child
 * process): the command wrapped with its PID marker (remote-command.ts), bounded capture with spill
 * files and backpressure (capture.ts), the timeout, the abort, and killing the whole process tree
 * with the kill script before resolving. A backend only starts a command line and runs a kill script,
 * so a step behaves the same on every transport.
 */
import { randomBytes } from 'node:crypto';
import { AbortError, ConnectionError } from '../core/errors.js';
import type { ExecResult } from '../core/exec.js';
import type { ExecOptions } from '../core/transport.js';
import { DEFAULT_MAX_IN_MEMORY_BYTES, StreamCapture } from './capture.js';
import { beginKillDispatch } from './kill-dispatch.js';
import { killCommand, PidMarkerParser, wrapCommand } from './remote-command.js';

/** How long after the kill we still wait for the command to close by itself. */
const CLOSE_GRACE_MS = 3000;
/** How long a kill waits for the command's PID marker when the abort came before it. */
const PID_WAIT_MS = 3000;

/** How a command ended, as its transport reported it. */
export interface ExitStatus {
  code: number | null;
  /** `SIGTERM` style (the SIG prefix is added when the transport leaves it out). */
  signal: string | null;
}

/** One started command line, as a backend hands it to `execWrapped`. */
export interface StartedCommand {
  onStdout(listener: (chunk: Buffer) => void): void;
  onStderr(listener: (chunk: Buffer) => void): void;
  /** Stop / restart reading output (a spill file is behind). */
  pause(): void;
  resume(): void;
  /** Write `data` (when given) to the command's stdin, then close it. */
  end(data?: string | Buffer): void;
  /** Resolves once the command is over and its output is closed. */
  readonly closed: Promise<void>;
  /** The exit status once reported; undefined while running or when it never came (connection lost). */
  exitStatus(): ExitStatus | undefined;
  /** Give up on the command: close our side so that `closed` resolves. */
  close(): void;
}

/** How one transport runs command lines. */
export interface CommandBackend {
  /** Inventory name, for messages. */
  readonly hostName: string;
  /**
   * Start `commandLine` under `/bin/sh -c` in a session of its own (its PID is its process group).
   * Must start synchronously when called (an abort may come before the promise settles).
   */
  start(commandLine: string): Promise<StartedCommand>;
  /**
   * Run the (wrapped) kill script `commandLine` with `stdin` written to it, and wait for it, bounded.
   * Call `onDispatched` once the kill finishes without us (started, stdin ended).
   */
  runKill(commandLine: string, stdin: string | undefined, onDispatched: () => void): Promise<void>;
}

/** Run `command` through `backend` with the semantics of the Transport contract (see index.ts). */
export async function execWrapped(backend: CommandBackend, command: string, options: ExecOptions): Promise<ExecResult> {
  const hostName = backend.hostName;
  const startedAt = new Date();
  const t0 = performance.now();
  const nonce = randomBytes(8).toString('hex');
  const max = options.maxInMemoryBytes ?? DEFAULT_MAX_IN_MEMORY_BYTES;
  // Evidence: stdout goes to the file only, as raw bytes (binary files, any size), never to memory.
  const out = new StreamCapture(
    options.stdoutToFile ? 0 : max,
    options.spillPrefix ? `${options.spillPrefix}.stdout` : undefined,
  );
  const err = new StreamCapture(max, options.spillPrefix ? `${options.spillPrefix}.stderr` : undefined);
  const marker = new PidMarkerParser(nonce);
  if (options.signal?.aborted) throw new AbortError(`${hostName}: aborted before \`${command}\` started`);
  // sudo -S reads the password from stdin; without become, stdin gets only the command's input.
  const password = options.become?.password !== undefined ? `${options.become.password}\n` : undefined;

  let timedOut = false;
  let killing: Promise<void> | undefined;
  let onPid!: () => void;
  const pidKnown = new Promise<void>((resolve) => (onPid = resolve));
  const opening = backend.start(wrapCommand(command, nonce, options.become));

  const kill = () => {
    if (killing) return;
    // Tracked from the request on, so a second Ctrl-C also waits for a kill whose command is still starting.
    const dispatched = beginKillDispatch();
    killing = (async () => {
      const started = await opening.catch(() => undefined);
      if (!started) return dispatched();
      if (marker.pid === undefined) {
        // Aborted before the PID marker came: closing our side would not stop the command, so wait for it.
        let t: NodeJS.Timeout | undefined;
        const waited = new Promise<void>((resolve) => (t = setTimeout(resolve, PID_WAIT_MS)));
        await Promise.race([pidKnown, started.closed, waited]);
        clearTimeout(t);
      }
      if (marker.pid !== undefined) {
        const script = killCommand(marker.pid, randomBytes(8).toString('hex'), options.become);
        try {
          await backend.runKill(script, password, dispatched);
        } catch {
          /* connection gone: closing our side below is all we can do */
        }
      }
      dispatched();
      const grace = setTimeout(() => started.close(), marker.pid !== undefined ? CLOSE_GRACE_MS : 0);
      await started.closed;
      clearTimeout(grace);
    })();
  };
  // A spill file that cannot be written (a full disk) stops the command: its output would be lost.
  out.onFileError = err.onFileError = () => kill();
  // Listening before the command has started: an abort meanwhile must still kill it.
  const onAbort = () => kill();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let cmd: StartedCommand;
  try {
    cmd = await opening;
  } catch (e) {
    options.signal?.removeEventListener('abort', onAbort);
    throw e;
  }

  const feed = (cap: StreamCapture, chunk: Buffer, cb?: (c: Buffer) => void) => {
    if (!chunk.length) return;
    cb?.(chunk);
    if (!cap.write(chunk)) {
      // The spill file is behind: stop reading until it drains (bounded memory).
      cmd.pause();
      void cap.drain().then(() => cmd.resume());
    }
  };
  cmd.onStdout((c) => feed(out, c, options.onStdout));
  cmd.onStderr((c) => {
    feed(err, marker.push(c), options.onStderr);
    if (marker.pid !== undefined) onPid();
  });

  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutMs);

  // With a become password the command itself gets /dev/null (see wrapCommand), never our stdin.
  cmd.end(password ?? options.stdin);

  try {
    await cmd.closed;
    if (killing) await killing;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
  const rest = marker.flush();
  if (rest.length) feed(err, rest, options.onStderr);
  await Promise.all([out.finish(), err.finish()]);

  const exit = cmd.exitStatus();
  if (!exit && !killing) {
    throw new ConnectionError(hostName, `connection lost while running \`${command}\``, 'closed');
  }
  const signal = exit?.signal ? (exit.signal.startsWith('SIG') ? exit.signal : `SIG${exit.signal}`) : null;
  return {
    command,
    code: exit?.code ?? null,
    signal: signal ?? (killing && !exit ? 'SIGKILL' : null),
    stdout: out.text(),
    stderr: err.text(),
    ...(out.spilled && out.spillFile ? { stdoutFile: out.spillFile } : {}),
    ...(err.spilled && err.spillFile ? { stderrFile: err.spillFile } : {}),
    stdoutBytes: out.bytes,
    stderrBytes: err.bytes,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    timedOut,
  };
}
