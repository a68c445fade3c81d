/**
 * One command = one exec channel on the host's connection. Output is streamed to the callbacks and
 * captured with bounded memory (see capture.ts). On timeout or abort the remote process tree is
 * killed over a second channel (see remote-command.ts), then the channel is closed.
 * With a become password, the password is the first thing written to stdin, and nothing else is.
 */
import { randomBytes } from 'node:crypto';
import type { Client as ClientType, ClientChannel } from 'ssh2';
import { AbortError, ConnectionError } from '../core/errors.js';
import type { ExecResult } from '../core/exec.js';
import type { ExecOptions } from '../core/transport.js';
import { DEFAULT_MAX_IN_MEMORY_BYTES, StreamCapture } from './capture.js';
import { beginKillDispatch } from './kill-dispatch.js';
import { killTreeScript, PidMarkerParser, wrapCommand } from './remote-command.js';

/** How long after the kill we still wait for the channel to close by itself. */
const CLOSE_GRACE_MS = 3000;
/** How long a kill waits for the command's PID marker when the abort came before it. */
const PID_WAIT_MS = 3000;

/**
 * Open an exec channel. `setup` runs synchronously inside ssh2's callback: the exit status can
 * arrive in the same TCP read as the open confirmation, and ssh2 emits 'exit' only once, at once.
 */
function openChannel(
  client: ClientType,
  hostName: string,
  command: string,
  setup: (ch: ClientChannel) => void,
): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (err, ch) => {
        if (err) {
          // "No response from server" / "Not connected": the connection is gone.
          const reason = /no response|not connected|closed/i.test(err.message) ? 'closed' : 'other';
          reject(new ConnectionError(hostName, `cannot open a channel: ${err.message}`, reason, { cause: err }));
          return;
        }
        setup(ch);
        resolve(ch);
      });
    } catch (err) {
      reject(
        new ConnectionError(hostName, `cannot open a channel: ${(err as Error).message}`, 'closed', { cause: err }),
      );
    }
  });
}

/**
 * Kill the remote tree rooted at `pid` (as the become user when there is one). Best effort, bounded.
 * `onDispatched` runs once sshd has accepted the kill script and its stdin is ended: from then on the
 * kill completes on the host without us.
 */
async function killRemote(
  client: ClientType,
  hostName: string,
  pid: number,
  options: ExecOptions,
  onDispatched: () => void,
): Promise<void> {
  const nonce = randomBytes(8).toString('hex');
  let closed!: Promise<void>;
  const ch = await openChannel(client, hostName, wrapCommand(killTreeScript(pid), nonce, options.become), (c) => {
    closed = new Promise((resolve) => c.once('close', () => resolve()));
    c.on('data', () => undefined);
    c.stderr.on('data', () => undefined);
  });
  // sudo -S reads the password from the script's stdin; without become, stdin only gets its EOF.
  await new Promise<void>((resolve) => {
    void closed.then(resolve);
    ch.end(options.become?.password !== undefined ? `${options.become.password}\n` : undefined, resolve);
  });
  onDispatched();
  const t = setTimeout(() => ch.close(), 8000);
  await closed;
  clearTimeout(t);
}

export async function runExec(
  client: ClientType,
  hostName: string,
  command: string,
  options: ExecOptions,
): Promise<ExecResult> {
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

  let code: number | null = null;
  let signal: string | null = null;
  let gotExit = false;
  let timedOut = false;
  let killing: Promise<void> | undefined;
  let closed!: Promise<void>;
  let onPid!: () => void;
  const pidKnown = new Promise<void>((resolve) => (onPid = resolve));
  const opening = openChannel(client, hostName, wrapCommand(command, nonce, options.become), (c) => {
    c.on('exit', (n: number | null, sig?: string) => {
      gotExit = true;
      code = typeof n === 'number' ? n : null;
      signal = sig ? (sig.startsWith('SIG') ? sig : `SIG${sig}`) : null;
    });
    closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
  });

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
        await Promise.race([pidKnown, closed, new Promise<void>((resolve) => (t = setTimeout(resolve, PID_WAIT_MS)))]);
        clearTimeout(t);
      }
      if (marker.pid !== undefined) {
        try {
          await killRemote(client, hostName, marker.pid, options, dispatched);
        } catch {
          /* connection gone: closing the channel below is all we can do */
        }
      }
      dispatched();
      const grace = setTimeout(() => opened.close(), marker.pid !== undefined ? CLOSE_GRACE_MS : 0);
      await closed;
      clearTimeout(grace);
    })();
  };
  // A spill file that cannot be written (a full disk) stops the command: its output would be lost.
  out.onFileError = err.onFileError = () => kill();
  // Listening before the channel is open: an abort while it opens must still kill the command.
  const onAbort = () => kill();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let ch: ClientChannel;
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
      // The spill file is behind: stop reading from SSH until it drains (bounded memory).
      ch.pause();
      void cap.drain().then(() => ch.resume());
    }
  };
  ch.on('data', (c: Buffer) => feed(out, c, options.onStdout));
  ch.stderr.on('data', (c: Buffer) => {
    feed(err, marker.push(c), options.onStderr);
    if (marker.pid !== undefined) onPid();
  });

  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutMs);

  if (options.become?.password !== undefined) {
    // sudo -S reads the password from stdin; the command itself gets /dev/null (see wrapCommand).
    ch.end(`${options.become.password}\n`);
  } else if (options.stdin !== undefined) {
    ch.end(options.stdin);
  } else {
    ch.end();
  }

  try {
    await closed;
    if (killing) await killing;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
  const rest = marker.flush();
  if (rest.length) feed(err, rest, options.onStderr);
  await Promise.all([out.finish(), err.finish()]);

  if (!gotExit && !killing) {
    throw new ConnectionError(hostName, `connection lost while running \`${command}\``, 'closed');
  }
  return {
    command,
    code,
    signal: signal ?? (killing && !gotExit ? 'SIGKILL' : null),
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
