/**
 * What a step plans: the exact actions the engine will perform on one host.
 * Steps build these purely; only the engine applies them. `firebreak plan` prints them.
 */
import type { FindingSeverity } from './finding.js';

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
  /**
   * Drop and re-open the SSH connection until it works or `timeoutMs` passes (wait_for connection).
   * `acceptNewHostKey`: the host was reinstalled (rebuild), so a *changed* host key is accepted for
   * this host only, recorded in known_hosts and the journal. Nothing else may set it.
   */
  | { kind: 'reconnect'; timeoutMs: number; delayMs: number; acceptNewHostKey?: boolean }
  /**
   * Collect evidence: run `command` (built with wrapEvidence(): its stdout is the artifact, and its
   * stderr carries the exit code and the SHA-256 the host computed), store the output in the run's
   * evidence store, and compare both hashes. A non-zero exit is data; a hash mismatch fails the step.
   */
  | {
      kind: 'evidence';
      command: string;
      label: string;
      source: { kind: 'command' | 'file'; value: string };
      become?: boolean;
      timeoutMs?: number;
      /**
       * Run with no other command of ours on the host: a listing of live processes or sockets would
       * otherwise record our own concurrent collection commands.
       */
      alone?: boolean;
    }
  /** Run a command on the controller (a rebuild hook: a cloud CLI, `firebreak lab reset HOST`). */
  | { kind: 'local'; command: string }
  /**
   * Open a second, fresh SSH connection to the host and run `true` on it: proves a change did not lock
   * us out. `onFailure` tells the responder what happens next (the host rolls itself back).
   */
  | {
      kind: 'fresh-connection';
      onFailure?: string;
      /**
       * Keep trying, a new connection each time, until one gets in or this long has passed: one lost
       * handshake on a lossy link must not undo an isolation that holds. Set well inside the dead-man
       * window, so the host never rolls back under a confirmation that is still trying.
       */
      withinMs?: number;
    };

/** Why a host's run ends (an `end_host` step), and the evidence that decision rests on. */
export interface HostEnd {
  reason: string;
  /** Ids of the artifacts behind the decision (of the registered results the step names in `from`). */
  evidence: string[];
  /** How many findings those results had, and the worst. */
  findings: number;
  highest: FindingSeverity | null;
}

/**
 * One line: the reason and what it rests on, e.g. `no finding above medium (evidence ev-000001…ev-000090,
 * 90 artifacts; 3 findings, worst medium)`. Artifact ids are sequential within a run, so a range names them.
 */
export function describeHostEnd(e: HostEnd): string {
  return `${e.reason} (${hostEndBasis(e)})`;
}

/** What an early end rests on: `evidence ev-000001…ev-000090, 90 artifacts; 3 findings, worst medium`. */
export function hostEndBasis(e: Omit<HostEnd, 'reason'>): string {
  const ids = e.evidence;
  const evidence =
    ids.length === 0
      ? 'no evidence named'
      : ids.length === 1
        ? `evidence ${ids[0]}`
        : `evidence ${ids[0]}…${ids[ids.length - 1]}, ${ids.length} artifacts`;
  const findings =
    e.findings === 0 ? 'no findings' : `${e.findings} finding${e.findings === 1 ? '' : 's'}, worst ${e.highest}`;
  return `${evidence}; ${findings}`;
}

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
      return `reconnect (timeout ${a.timeoutMs} ms, every ${a.delayMs} ms${a.acceptNewHostKey ? ", accepting the reinstalled host's new host key" : ''})`;
    case 'evidence':
      return `evidence ${a.label}: ${a.become ? 'sudo: ' : ''}${a.source.kind === 'file' ? `file ${a.source.value}` : a.source.value}`;
    case 'local':
      return `on the controller: ${a.command}`;
    case 'fresh-connection':
      return `open a fresh SSH connection and run \`true\`${a.withinMs ? `, trying again for up to ${Math.round(a.withinMs / 1000)} s` : ''} (must still work${a.onFailure ? `; if not: ${a.onFailure}` : ''})`;
  }
}
