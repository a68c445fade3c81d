/**
 * The small transport interface the engine talks to. The ssh2 implementation lives in
 * src/transport/ssh.ts and is the only file that imports ssh2.
 */
import type { Become } from './host.js';
import type { ExecResult } from './exec.js';

/** `--transport`: ssh2 in-process, the system OpenSSH client, or auto (ssh2 unless the host needs OpenSSH). */
export type TransportChoice = 'auto' | 'ssh2' | 'openssh';
export const TRANSPORT_CHOICES: readonly TransportChoice[] = ['auto', 'ssh2', 'openssh'];
/** The host variable that picks a host's transport (beats `--transport`, as ansible_connection beats -c). */
export const TRANSPORT_VAR = 'firebreak_transport';

/** Rewrites a byte stream as it passes (the run's redaction of output spilled to disk). */
export interface ByteFilter {
  push(chunk: Buffer): Buffer;
  /** At the end: whatever it still held back. */
  end(): Buffer;
}

export interface ExecOptions {
  /** Kill the remote command (and its children) after this many ms. Required: no unbounded commands. */
  timeoutMs: number;
  become?: Become;
  /** Written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer;
  /** Live output, for progress renderers. */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /**
   * Output beyond `maxInMemoryBytes` per stream is streamed to `${spillPrefix}.stdout|.stderr`
   * instead of memory. Without a spillPrefix the excess is dropped (byte counts remain exact).
   */
  spillPrefix?: string;
  maxInMemoryBytes?: number;
  /**
   * Bytes of each stream kept in its spill file; past them the output is counted, not kept, and the
   * result says so (`capped`). Not for evidence stdout (`stdoutToFile`), which is never cut.
   */
  maxFileBytes?: number;
  /** A filter for each spilled stream (redaction); not for evidence stdout, which stays byte-exact. */
  spillFilter?: () => ByteFilter;
  /** Stream stdout, raw, to `${spillPrefix}.stdout` only (evidence); `stdout` in the result stays empty. */
  stdoutToFile?: boolean;
  /** Aborting kills the remote command like a timeout does. */
  signal?: AbortSignal;
  /**
   * Send the command on stdin, not in the exec request, so it shows in no process list on the host
   * (a secret the step put into it). Costs a `dd` per command there.
   */
  commandOnStdin?: boolean;
}

export interface TransferResult {
  bytes: number;
  durationMs: number;
}

/** Options of one connect(). */
export interface ConnectOptions {
  /**
   * The host was reinstalled (rebuild): accept a *changed* host key for this host, replace its entry
   * in known_hosts, and report old and new fingerprints. Only the rebuild step asks for this.
   */
  replaceHostKey?: (change: { oldFingerprint: string | null; newFingerprint: string }) => void;
}

export interface Transport {
  /** Inventory name of the host. */
  readonly host: string;
  /** Open (or reopen) the connection. Rejects with ConnectionError. */
  connect(options?: ConnectOptions): Promise<void>;
  /** True while the underlying connection is up. */
  readonly connected: boolean;
  /** `type SHA256:…` of the host key the connection was verified with, when known. */
  readonly hostKey?: string;
  /**
   * Commands a lost connection left running on the host and not yet killed. The next connect()
   * kills them first (only those still carrying their nonce: a reused PID is left alone).
   */
  readonly leftRunning?: number;
  exec(command: string, options: ExecOptions): Promise<ExecResult>;
  /** Upload a local file (SFTP). */
  put(
    localPath: string,
    remotePath: string,
    options?: { mode?: number; signal?: AbortSignal },
  ): Promise<TransferResult>;
  /** Download a remote file (SFTP), streamed to disk. */
  get(remotePath: string, localPath: string, options?: { signal?: AbortSignal }): Promise<TransferResult>;
  close(): Promise<void>;
}
