/**
 * The chain-of-custody log, `evidence/custody.jsonl`: one JSON line per action on evidence, appended
 * with a synchronous write so the line is in the kernel before the action returns (as the journal
 * does). Lines are never rewritten. The manifest records the hash of the log as it was at signing, so
 * later changes to those lines are caught; lines appended after signing (a verification) are not covered.
 */
import { fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { closeDurably } from '../core/index.js';
import type { Artifact, ArtifactSource, Collector } from './manifest.js';

interface CustodyBase {
  /** UTC ISO time. */
  at: string;
  /** `user@machine` of whoever acted. */
  actor: string;
}

/** One action on evidence. */
export type CustodyEvent = CustodyBase &
  (
    | { action: 'opened'; runId: string; artifacts: number }
    | { action: 'stored'; artifact: Artifact; deduplicated: boolean }
    | {
        action: 'mismatch';
        id: string;
        host: string;
        source: ArtifactSource;
        sha256AtRest: string;
        sha256AtSource: string | null;
      }
    | { action: 'store_failed'; host: string; step: string; source: ArtifactSource; error: string }
    | {
        action: 'signed';
        manifestSha256: string;
        publicKeySha256: string;
        key: 'run' | 'file';
        keyFile?: string;
        artifacts: number;
        /** The keyring file the public key was recorded in, or why it could not be. */
        keyring?: string;
        keyringError?: string;
      }
    | {
        action: 'verified';
        ok: boolean;
        errors: number;
        warnings: number;
        key: 'given' | 'stored' | 'trusted' | 'none';
        /** Whether the signer is trusted here (absent in lines from before signer trust). */
        signerTrusted?: boolean;
        publicKeySha256?: string;
      }
  );

/** Everything of an event but the time and the actor, which the log fills in. */
export type CustodyAction = CustodyEvent extends infer E
  ? E extends CustodyEvent
    ? Omit<E, 'at' | 'actor'>
    : never
  : never;

/** This process's user and machine name. */
export function localCollector(): Collector {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers).
    user = process.env.USER ?? `uid${process.getuid?.() ?? '?'}`;
  }
  return { user, machine: hostname() };
}

export function actorOf(c: Collector): string {
  return `${c.user}@${c.machine}`;
}

/** Appends custody events; opened once per store. */
export class CustodyLog {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    private readonly actor: string,
    private readonly now: () => Date,
    mode: number,
  ) {
    this.fd = openSync(path, 'a', mode);
  }

  record(action: CustodyAction): CustodyEvent {
    if (this.fd === undefined) throw new Error(`custody log ${this.path} is closed`);
    const event = { at: this.now().toISOString(), actor: this.actor, ...action } as CustodyEvent;
    writeSync(this.fd, JSON.stringify(event) + '\n');
    return event;
  }

  /** Make everything recorded so far durable. */
  sync(): void {
    if (this.fd !== undefined) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeDurably(fd);
  }
}

/**
 * Read the custody log back. A torn last line (the process died mid-write) is skipped; any other line
 * that is not an event is returned as a problem rather than thrown, because the verifier must go on.
 */
export function readCustody(path: string): { events: CustodyEvent[]; bad: number[] } {
  const lines = readFileSync(path, 'utf8').split('\n');
  const events: CustodyEvent[] = [];
  const bad: number[] = [];
  lines.forEach((line, i) => {
    if (!line) return;
    try {
      const e = JSON.parse(line) as CustodyEvent;
      if (e && typeof e === 'object' && typeof e.action === 'string') events.push(e);
      else bad.push(i + 1);
    } catch {
      // The last line with no newline after it was torn by a crash; any other is damage.
      if (i < lines.length - 1) bad.push(i + 1);
    }
  });
  return { events, bad };
}

/** The artifacts a custody log says were stored, in order (for resuming a store, or a run never finalized). */
export function storedArtifacts(events: readonly CustodyEvent[]): Artifact[] {
  return events.flatMap((e) => (e.action === 'stored' ? [e.artifact] : []));
}
