/**
 * One command = one exec channel on the host's connection; a kill = a second channel running the
 * kill script. Capture, timeout, abort and the kill protocol are shared with every transport (see
 * wrapped-exec.ts); this file only says how an ssh2 channel carries them.
 */
import type { Client as ClientType, ClientChannel } from 'ssh2';
import { ConnectionError } from '../core/errors.js';
import type { ExecResult } from '../core/exec.js';
import type { ExecOptions } from '../core/transport.js';
import { execWrapped, type CommandBackend, type ExitStatus, type StartedCommand } from './wrapped-exec.js';

/** How long the kill script's channel may stay open before we close it. */
const KILL_CHANNEL_MS = 8000;

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

async function startChannel(client: ClientType, hostName: string, commandLine: string): Promise<StartedCommand> {
  let exit: ExitStatus | undefined;
  let closed!: Promise<void>;
  const ch = await openChannel(client, hostName, commandLine, (c) => {
    c.on('exit', (n: number | null, sig?: string) => {
      exit = { code: typeof n === 'number' ? n : null, signal: sig ?? null };
    });
    closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
  });
  return {
    onStdout: (listener) => ch.on('data', listener),
    onStderr: (listener) => ch.stderr.on('data', listener),
    pause: () => ch.pause(),
    resume: () => ch.resume(),
    end: (data) => ch.end(data),
    closed,
    exitStatus: () => exit,
    close: () => ch.close(),
  };
}

/**
 * Run the kill script over a second channel. It is dispatched once sshd has accepted it and its
 * stdin is ended: from then on the kill completes on the host without us.
 */
async function killOverChannel(
  client: ClientType,
  hostName: string,
  commandLine: string,
  stdin: string | undefined,
  onDispatched: () => void,
): Promise<void> {
  let closed!: Promise<void>;
  const ch = await openChannel(client, hostName, commandLine, (c) => {
    closed = new Promise((resolve) => c.once('close', () => resolve()));
    c.on('data', () => undefined);
    c.stderr.on('data', () => undefined);
  });
  await new Promise<void>((resolve) => {
    void closed.then(resolve);
    ch.end(stdin, resolve);
  });
  onDispatched();
  const t = setTimeout(() => ch.close(), KILL_CHANNEL_MS);
  await closed;
  clearTimeout(t);
}

export function runExec(
  client: ClientType,
  hostName: string,
  command: string,
  options: ExecOptions,
): Promise<ExecResult> {
  const backend: CommandBackend = {
    hostName,
    start: (line) => startChannel(client, hostName, line),
    runKill: (line, stdin, onDispatched) => killOverChannel(client, hostName, line, stdin, onDispatched),
  };
  return execWrapped(backend, command, options);
}
