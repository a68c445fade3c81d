/**
 * One command = one channel on the host's connection, whatever carries it (an ssh2 channel, or an
 * OpenSSH multiplexing client on a ControlMaster). Output is streamed to the callbacks and captured
 * with bounded memory (see capture.ts). On timeout or abort the remote process tree is killed over a
 * second channel (see remote-command.ts), then the channel is closed. With a become password, the
 * password is the first thing written to stdin, and nothing else is.
 */
import { randomBytes } from 'node:crypto';
import { AbortError, ConnectionError } from '../core/errors.js';
import type { ExecResult } from '../core/exec.js';
import type { ExecOptions } from '../core/transport.js';
import { DEFAULT_MAX_IN_MEMORY_BYTES, StreamCapture } from './capture.js';
import { beginKillDispatch } from './kill-dispatch.js';
import { killCommand, PidMarkerParser, stdinScript, wrapCommand } from './remote-command.js';

/** How long after the kill we still wait for the channel to close by itself. */
const CLOSE_GRACE_MS = 3000;
/** How long a kill waits for the command's PID marker when the abort came before it. */
const PID_WAIT_MS = 3000;

/** What ended a channel: the remote exit status or signal, when the carrier reported one. */
export interface ChannelExit {
  code: number | null;
  signal: string | null;
}

/**
 * Why a channel closed without an exit status: its connection was lost; the host refused to open it
 * (sshd `MaxSessions`); or it ran, but the carrier cannot report how it ended (a remote signal over
 * an OpenSSH multiplexed channel).
 */
export type NoStatus = 'lost' | 'refused' | 'unreported';

/** One running remote command, as the exec logic needs it from a carrier. */
export interface CommandChannel {
  /** Resolves once the channel is closed and all its output was delivered. */
  readonly closed: Promise<void>;
  /** The exit status, once the channel reported one. */
  exit(): ChannelExit | undefined;
  /** After `closed` without an exit status: why there is none. */
  noStatus(): Promise<NoStatus>;
  onStdout(cb: (chunk: Buffer) => void): void;
  onStderr(cb: (chunk: Buffer) => void): void;
  pause(): void;
  resume(): void;
  /** Write `data` (if any) and close stdin; `done` runs once it was handed to the carrier. */
  end(data?: string | Buffer, done?: () => void): void;
  /** Close the channel now (the remote command is not killed by this). */
  close(): void;
}

/** Opens a channel running `command` (already wrapped); rejects with ConnectionError. */
export type ChannelOpener = (command: string) => Promise<CommandChannel>;

/**
 * Kill the remote tree rooted at `pid` (as the become user when there is one, see killCommand). Best effort, bounded.
 * `onDispatched` runs once the kill script runs on the host (its PID marker, the first thing it prints,
 * came back) and its stdin is ended: from then on the kill completes on the host without us. (Stdin
 * handed over is not enough: an OpenSSH client may not yet have reached its master.)
 */
async function killRemote(open: ChannelOpener, pid: number, options: ExecOptions, onDispatched: () => void) {
  const nonce = randomBytes(8).toString('hex');
  const ch = await open(killCommand(pid, nonce, options.become));
  let onStarted!: () => void;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  ch.onStdout(() => undefined);
  ch.onStderr(() => onStarted());
  // sudo -S reads the password from the script's stdin; without become, stdin only gets its EOF.
  const ended = new Promise<void>((resolve) =>
    ch.end(options.become?.password !== undefined ? `${options.become.password}\n` : undefined, resolve),
  );
  await Promise.race([Promise.all([started, ended]), ch.closed]);
  onDispatched();
  const t = setTimeout(() => ch.close(), 8000);
  await ch.closed;
  clearTimeout(t);
}

/**
 * Run `command` on a channel from `open` with the semantics of the Transport contract (see index.ts).
 * `onLeftRunning` hears of a command whose connection was lost while it ran: it may still be running
 * on the host (see left-running.ts).
 */
export async function runChannelExec(
  open: ChannelOpener,
  hostName: string,
  command: string,
  options: ExecOptions,
  onLeftRunning?: (pid: number, nonce: string) => void,
): Promise<ExecResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const nonce = randomBytes(8).toString('hex');
  const max = options.maxInMemoryBytes ?? DEFAULT_MAX_IN_MEMORY_BYTES;
  // Evidence: stdout goes to the file only, as raw bytes (binary files, any size), never to memory.
  // Evidence stdout stays whole and byte-exact (its hash is checked); every other spill file is capped and filtered.
  const spill = () => ({
    ...(options.maxFileBytes !== undefined ? { maxFileBytes: options.maxFileBytes } : {}),
    ...(options.spillFilter ? { filter: options.spillFilter() } : {}),
  });
  const out = new StreamCapture(
    options.stdoutToFile ? 0 : max,
    options.spillPrefix ? `${options.spillPrefix}.stdout` : undefined,
    options.stdoutToFile ? {} : spill(),
  );
  const err = new StreamCapture(max, options.spillPrefix ? `${options.spillPrefix}.stderr` : undefined, spill());
  const marker = new PidMarkerParser(nonce);
  if (options.signal?.aborted) throw new AbortError(`${hostName}: aborted before \`${command}\` started`);

  let timedOut = false;
  let killing: Promise<void> | undefined;
  let onPid!: () => void;
  const pidKnown = new Promise<void>((resolve) => (onPid = resolve));
  const onStdin = options.commandOnStdin === true;
  const opening = open(wrapCommand(command, nonce, options.become, { onStdin }));

  const kill = () => {
    if (killing) return;
    // Tracked from the request on, so a second Ctrl-C also waits for a kill whose channel is still opening.
    const dispatched = beginKillDispatch();
    killing = (async () => {
      const opened = await opening.catch(() => undefined);
      if (!opened) return dispatched();
      if (marker.pid === undefined) {
        // Aborted before the PID marker came: closing the channel would not stop the command, so wait for it.
        let t: NodeJS.Timeout | undefined;
        await Promise.race([
          pidKnown,
          opened.closed,
          new Promise<void>((resolve) => (t = setTimeout(resolve, PID_WAIT_MS))),
        ]);
        clearTimeout(t);
      }
      if (marker.pid !== undefined) {
        try {
          await killRemote(open, marker.pid, options, dispatched);
        } catch {
          /* connection gone: closing the channel below is all we can do */
        }
      }
      dispatched();
      const grace = setTimeout(() => opened.close(), marker.pid !== undefined ? CLOSE_GRACE_MS : 0);
      await opened.closed;
      clearTimeout(grace);
    })();
  };
  // A spill file that cannot be written (a full disk) stops the command: its output would be lost.
  out.onFileError = err.onFileError = () => kill();
  // Listening before the channel is open: an abort while it opens must still kill the command.
  const onAbort = () => kill();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let ch: CommandChannel;
  try {
    ch = await opening;
  } catch (e) {
    options.signal?.removeEventListener('abort', onAbort);
    throw e;
  }

  const feed = (cap: StreamCapture, chunk: Buffer, cb?: (c: Buffer) => void) => {
    if (!chunk.length) return;
    cb?.(chunk);
    if (!cap.write(chunk)) {
      // The spill file is behind: stop reading from the channel until it drains (bounded memory).
      ch.pause();
      void cap.drain().then(() => ch.resume());
    }
  };
  ch.onStdout((c) => feed(out, c, options.onStdout));
  ch.onStderr((c) => {
    feed(err, marker.push(c), options.onStderr);
    if (marker.pid !== undefined) onPid();
  });

  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutMs);

  // sudo -S reads the password from stdin first; then the command, when it travels there; then the
  // command's own stdin, which it does not get with a password (it gets /dev/null, see wrapCommand).
  const input = [
    ...(options.become?.password !== undefined ? [Buffer.from(`${options.become.password}\n`)] : []),
    ...(onStdin ? [stdinScript(command, nonce)] : []),
    ...(options.stdin !== undefined && options.become?.password === undefined ? [Buffer.from(options.stdin)] : []),
  ];
  if (input.length) ch.end(input.length === 1 ? input[0] : Buffer.concat(input));
  else ch.end();

  try {
    await ch.closed;
    if (killing) await killing;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
  const rest = marker.flush();
  if (rest.length) feed(err, rest, options.onStderr);
  await Promise.all([out.finish(), err.finish()]);

  const exit = ch.exit();
  const why = exit || killing ? undefined : await ch.noStatus();
  if (why === 'lost') {
    if (marker.pid === undefined)
      throw new ConnectionError(hostName, `connection lost while running \`${command}\``, 'closed');
    onLeftRunning?.(marker.pid, nonce);
    throw new ConnectionError(
      hostName,
      `connection lost while running \`${command}\` (it may still run on the host as PID ${marker.pid}: killed when firebreak is back on the host)`,
      'closed',
    );
  }
  if (why === 'refused')
    throw new ConnectionError(hostName, `the host refused a channel for \`${command}\` (sshd MaxSessions?)`, 'other');
  return {
    command,
    code: exit?.code ?? null,
    signal: exit?.signal ?? (killing && !exit ? 'SIGKILL' : null),
    stdout: out.text(),
    stderr: err.text(),
    ...(out.spilled && out.spillFile ? { stdoutFile: out.spillFile } : {}),
    ...(err.spilled && err.spillFile ? { stderrFile: err.spillFile } : {}),
    stdoutBytes: out.bytes,
    stderrBytes: err.bytes,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    timedOut,
    ...(out.capped || err.capped
      ? { capped: [...(out.capped ? ['stdout' as const] : []), ...(err.capped ? ['stderr' as const] : [])] }
      : {}),
  };
}
