/**
 * Exec over ssh2: one exec channel per command on the host's connection. The exec semantics (capture,
 * timeout, kill, become) are shared with the OpenSSH transport in channel-exec.ts; this file only
 * adapts an ssh2 channel to a CommandChannel.
 */
import type { Client as ClientType, ClientChannel } from 'ssh2';
import { ConnectionError } from '../core/errors.js';
import type { ExecResult } from '../core/exec.js';
import type { ExecOptions } from '../core/transport.js';
import { runChannelExec, type ChannelExit, type ChannelOpener, type CommandChannel } from './channel-exec.js';

/**
 * Open an exec channel. The exit listener is attached synchronously inside ssh2's callback: the exit
 * status can arrive in the same TCP read as the open confirmation, and ssh2 emits 'exit' only once, at once.
 */
function openChannel(client: ClientType, hostName: string, command: string): Promise<CommandChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (err, ch) => {
        if (err) {
          // "No response from server" / "Not connected": the connection is gone.
          const reason = /no response|not connected|closed/i.test(err.message) ? 'closed' : 'other';
          reject(new ConnectionError(hostName, `cannot open a channel: ${err.message}`, reason, { cause: err }));
          return;
        }
        resolve(adapt(ch));
      });
    } catch (err) {
      reject(
        new ConnectionError(hostName, `cannot open a channel: ${(err as Error).message}`, 'closed', { cause: err }),
      );
    }
  });
}

function adapt(ch: ClientChannel): CommandChannel {
  let exit: ChannelExit | undefined;
  ch.on('exit', (n: number | null, sig?: string) => {
    exit = {
      code: typeof n === 'number' ? n : null,
      signal: sig ? (sig.startsWith('SIG') ? sig : `SIG${sig}`) : null,
    };
  });
  const closed = new Promise<void>((resolve) => ch.once('close', () => resolve()));
  return {
    closed,
    exit: () => exit,
    // sshd always reports an exit status or signal: a channel closed without one lost its connection.
    noStatus: () => Promise.resolve('lost'),
    onStdout: (cb) => ch.on('data', cb),
    onStderr: (cb) => ch.stderr.on('data', cb),
    pause: () => ch.pause(),
    resume: () => ch.resume(),
    end: (data, done) => (data === undefined ? ch.end(done) : ch.end(data, done)),
    close: () => ch.close(),
  };
}

/** Opens exec channels on `client`. */
export function channelOpener(client: ClientType, hostName: string): ChannelOpener {
  return (wrapped) => openChannel(client, hostName, wrapped);
}

export function runExec(
  client: ClientType,
  hostName: string,
  command: string,
  options: ExecOptions,
  onLeftRunning?: (pid: number, nonce: string) => void,
): Promise<ExecResult> {
  return runChannelExec(channelOpener(client, hostName), hostName, command, options, onLeftRunning);
}
