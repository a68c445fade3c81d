/**
 * A channel on a ControlMaster: one `ssh -S SOCK` client process per command. Its stdin, stdout and
 * stderr are handed to the master (file-descriptor passing), so data flows between our pipes and the
 * host without passing through the client. Its exit code is the remote exit status — except 255,
 * which is also what it returns when the master relayed no status (a remote signal: OpenSSH's
 * multiplexing protocol has no message for it) or died; its DEBUG2 log tells these apart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConnectionError } from '../../core/errors.js';
import type { ChannelExit, CommandChannel, NoStatus } from '../channel-exec.js';
import { muxArgs } from './options.js';

/** What every channel of one host needs. */
export interface MuxTarget {
  hostName: string;
  destination: string;
  sshBinary: string;
  sock: string;
  /** Where the clients' log files go (the private control directory). */
  dir: string;
  /** Resolves true when the master is gone (or goes within a moment). */
  masterGone: () => Promise<boolean>;
}

/** A running client process, its log file, and how it ended. */
export interface MuxProcess {
  child: ChildProcess;
  /** Resolves when the process exited and its pipes closed, with the remote exit status if relayed. */
  ended: Promise<ChannelExit | undefined>;
  /** After `ended` without a status: why (see NoStatus). */
  noStatus: () => Promise<NoStatus>;
}

/** Start `command` (a complete remote command line) on the master. Rejects with ConnectionError. */
export async function spawnMux(t: MuxTarget, command: string): Promise<MuxProcess> {
  const logFile = path.join(t.dir, `c-${randomBytes(6).toString('hex')}.log`);
  // Detached like the master: a terminal Ctrl-C must not cut channels the engine still has to kill.
  const child = spawn(t.sshBinary, muxArgs(t.destination, t.sock, logFile, command), {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdin?.on('error', () => undefined); // EPIPE when the channel ends before reading its stdin
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) =>
      reject(new ConnectionError(t.hostName, `cannot run ${t.sshBinary}: ${err.message}`, 'other', { cause: err })),
    );
  });
  let log = '';
  const ended = new Promise<ChannelExit | undefined>((resolve) =>
    child.once('close', (code) => {
      void (async () => {
        log = await fs.readFile(logFile, 'utf8').catch(() => '');
        await fs.rm(logFile, { force: true });
        if (code === null) return resolve(undefined); // we killed the client
        if (code !== 255 || /Received exit status from master 255/.test(log)) return resolve({ code, signal: null });
        resolve(undefined);
      })();
    }),
  );
  const noStatus = async (): Promise<NoStatus> => {
    if (/session request failed/.test(log)) return 'refused';
    if (/Control socket connect|mux_client_hello_exchange: read/.test(log) || (await t.masterGone())) return 'lost';
    return 'unreported';
  };
  return { child, ended, noStatus };
}

/** The exec logic's view of a client process (see channel-exec.ts). */
export async function openMuxChannel(t: MuxTarget, command: string): Promise<CommandChannel> {
  const p = await spawnMux(t, command);
  const { child } = p;
  let exit: ChannelExit | undefined;
  const closed = p.ended.then((e) => {
    exit = e;
  });
  return {
    closed,
    exit: () => exit,
    noStatus: p.noStatus,
    onStdout: (cb) => child.stdout?.on('data', cb),
    onStderr: (cb) => child.stderr?.on('data', cb),
    pause: () => {
      child.stdout?.pause();
      child.stderr?.pause();
    },
    resume: () => {
      child.stdout?.resume();
      child.stderr?.resume();
    },
    end: (data, done) => {
      const stdin = child.stdin;
      if (!stdin || stdin.destroyed) return done?.();
      if (data === undefined) stdin.end(done);
      else stdin.end(data, done);
    },
    close: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
