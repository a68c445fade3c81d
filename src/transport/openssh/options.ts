/**
 * What the OpenSSH transport is given, and the exact `ssh` command lines it builds from it. Our own
 * options come *before* the inventory's words: ssh keeps the first value it sees for an option, so an
 * inventory can never switch off BatchMode, strict host-key checking or the control socket.
 */
import { InputError } from '../../core/errors.js';
import { KEEPALIVE_COUNT_MAX, KEEPALIVE_INTERVAL_MS } from '../keepalive.js';

/** One host, as ssh is to be called for it. */
export interface OpenSshSpec {
  /** Inventory name, for messages. */
  name: string;
  /** What to pass to ssh as the host (an address, a name from ssh_config, `user@host`). */
  destination: string;
  /** ssh options placed before the destination, e.g. `['-o', 'Port=2222', '-i', 'key', '-F', 'cfg']`. */
  args: string[];
}

/** Options shared by the hosts of a run. */
export interface OpenSshOptions {
  /** When set: `-o UserKnownHostsFile=...` with these files (new keys are recorded in the first). */
  knownHostsFiles?: string[];
  /** Trust unknown host keys on first use (`StrictHostKeyChecking=accept-new`); otherwise `yes`. Never `no`. */
  acceptNew: boolean;
  /** The whole connect (TCP, handshake, auth, master ready). Default 10 000. */
  connectTimeoutMs?: number;
  /** `ServerAliveInterval`, rounded up to seconds. Default KEEPALIVE_INTERVAL_MS; 0 disables it. */
  keepaliveIntervalMs?: number;
  /** Where control sockets live. Default: a private (0700) temporary directory per transport. */
  controlDir?: string;
  /** Default `ssh`. */
  sshBinary?: string;
}

/** A unix socket path holds at most 107 bytes, and ssh binds `PATH.` + 16 random characters first. */
export const MAX_CONTROL_PATH = 90;

/** One `UserKnownHostsFile` value: files double-quoted for ssh's tokenizer, `%` escaped from expansion. */
export function knownHostsValue(files: string[]): string {
  return files
    .map((f) => {
      if (/["\n]/.test(f))
        throw new InputError(`known_hosts file name ${JSON.stringify(f)} contains a quote or newline`);
      return `"${f.replace(/%/g, '%%')}"`;
    })
    .join(' ');
}

const seconds = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)));

/** The ControlMaster: authenticates, verifies the host key, then holds the connection (`-N`). */
export function masterArgs(spec: OpenSshSpec, o: OpenSshOptions, sock: string, acceptNew: boolean): string[] {
  const keepalive = o.keepaliveIntervalMs ?? KEEPALIVE_INTERVAL_MS;
  return [
    '-M',
    '-S',
    sock,
    '-N',
    '-T',
    '-o',
    'ControlPersist=no',
    '-o',
    'BatchMode=yes',
    '-o',
    `StrictHostKeyChecking=${acceptNew ? 'accept-new' : 'yes'}`,
    // debug1 carries "Server host key: TYPE SHA256:..." (the key this connection verified).
    '-o',
    'LogLevel=DEBUG1',
    '-o',
    `ConnectTimeout=${seconds(o.connectTimeoutMs ?? 10_000)}`,
    ...(keepalive > 0
      ? ['-o', `ServerAliveInterval=${seconds(keepalive)}`, '-o', `ServerAliveCountMax=${KEEPALIVE_COUNT_MAX}`]
      : []),
    ...(o.knownHostsFiles?.length ? ['-o', `UserKnownHostsFile=${knownHostsValue(o.knownHostsFiles)}`] : []),
    ...spec.args,
    '--',
    spec.destination,
  ];
}

/**
 * A client of the master: one channel per process. It reads no ssh_config (`-F /dev/null`: nothing
 * but the socket matters) and cannot fall back to a connection of its own when the master is gone
 * (`ProxyCommand=false`). Its log goes to `logFile` at DEBUG2, the only place that says whether the
 * master relayed an exit status (OpenSSH's multiplexing protocol carries no exit signal).
 */
export function muxArgs(destination: string, sock: string, logFile: string, command: string): string[] {
  return [
    '-F',
    '/dev/null',
    '-S',
    sock,
    '-o',
    'ControlMaster=no',
    '-o',
    'ProxyCommand=false',
    '-o',
    'BatchMode=yes',
    '-T',
    '-E',
    logFile,
    '-o',
    'LogLevel=DEBUG2',
    '--',
    destination,
    command,
  ];
}

/** `ssh -O check|exit` against the master's socket. */
export function controlArgs(destination: string, sock: string, op: 'check' | 'exit'): string[] {
  return ['-F', '/dev/null', '-S', sock, '-O', op, '--', destination];
}
