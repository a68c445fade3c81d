/**
 * What a step plans: the exact actions the engine will perform on one host.
 * Steps build these purely; only the engine applies them. `firebreak plan` prints them.
 */
export type Action =
  /** Run a shell command on the host. */
  | {
      kind: 'exec';
      command: string;
      /** Set when the command must run via sudo. */
      become?: boolean;
      /** Written to the command's stdin, then stdin is closed (ExecOptions.stdin). */
      stdin?: string;
    }
  /** Upload a local file to the host (SFTP). */
  | { kind: 'put'; localPath: string; remotePath: string; mode?: number }
  /** Download a file from the host into the run directory (SFTP). `localPath` is relative to the host's output dir. */
  | { kind: 'get'; remotePath: string; localPath: string }
  /** Drop and re-open the SSH connection until it works or `timeoutMs` passes (wait_for connection). */
  | { kind: 'reconnect'; timeoutMs: number; delayMs: number };

/** Render an action as one human-readable line (for `firebreak plan`). */
export function describeAction(a: Action): string {
  switch (a.kind) {
    case 'exec':
      return `${a.become ? 'sudo: ' : ''}${a.command}${a.stdin !== undefined ? ` (stdin: ${Buffer.byteLength(a.stdin)} bytes)` : ''}`;
    case 'put':
      return `upload ${a.localPath} -> ${a.remotePath}${a.mode !== undefined ? ` (mode ${a.mode.toString(8)})` : ''}`;
    case 'get':
      return `fetch ${a.remotePath} -> ${a.localPath}`;
    case 'reconnect':
      return `reconnect (timeout ${a.timeoutMs} ms, every ${a.delayMs} ms)`;
  }
}
