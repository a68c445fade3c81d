/**
 * The append-only JSONL journal: one RunEvent per line, in emission order.
 *
 * Durability choice: the file is opened once and every event is written with `fs.writeSync` on that
 * descriptor. A synchronous write lands in the kernel before `emit` returns, so a crash of our process
 * (uncaught error, second SIGINT, OOM kill) loses nothing — unlike a write stream, whose in-process
 * buffer dies with the process. `appendFileSync` would give the same guarantee but opens and closes the
 * file per event, which is wasteful at 500 hosts. Surviving a machine crash needs `fsync`, which costs
 * milliseconds, so it is done only on the events that mark boundaries a resume would start from
 * (run, phase, host outcomes, abort) — not on every output line. Host outcomes come in bursts (a
 * whole fleet finishing a phase together): their fsync runs in the background and is shared
 * (one in flight, one more queued for whatever arrives meanwhile) instead of blocking the event loop
 * once per host; run and phase boundaries are still synced before `emit` returns.
 *
 * Tamper evidence: every line is hash-chained to the one before it (`prev`, see core/journal-chain.ts),
 * and the evidence manifest signed at the end of the run records the chain's head.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  fsync as fsyncCallback,
  fsyncSync,
  openSync,
  readFileSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  chainLine,
  checkChain,
  closeDurably,
  lineHash,
  withoutLink,
  type EventSink,
  type RunEvent,
  type RunEventType,
} from '../core/index.js';
import { createRedactor, type Redactor } from './redact.js';

/** Events after which the journal is fsynced before `emit` returns. */
const DURABLE: ReadonlySet<RunEventType> = new Set<RunEventType>([
  'run.started',
  'phase.started',
  'phase.finished',
  'run.aborted',
  'run.finished',
]);
/** Events after which the journal is fsynced in the background, shared with others of a burst. */
const DURABLE_SOON: ReadonlySet<RunEventType> = new Set<RunEventType>([
  'host.finished',
  'host.failed',
  'host.unreachable',
]);

export interface JournalOptions {
  /** Secret strings to replace with `***` in anything written. */
  secrets?: readonly (string | undefined)[];
  /** fsync after boundary events (default true; tests may turn it off for speed). */
  fsync?: boolean;
}

/** An EventSink that appends every event to a JSONL file. Write errors throw from `emit`. */
export class Journal implements EventSink {
  private fd: number | undefined;
  /** The journal's redactor (plain and JSON-escaped secrets), for other files of the run. */
  readonly redact: Redactor;
  private readonly fsync: boolean;
  /** Hash of the last line written: the next line's link. */
  private prev: string;

  constructor(
    readonly path: string,
    options: JournalOptions = {},
  ) {
    const secrets = (options.secrets ?? []).filter((x): x is string => typeof x === 'string');
    // A secret with quotes, backslashes or control characters appears JSON-escaped in the line.
    this.redact = createRedactor([...secrets, ...secrets.map((x) => JSON.stringify(x).slice(1, -1))]);
    this.fsync = options.fsync ?? true;
    // Appending to an existing journal continues its chain from its last whole line.
    this.prev = checkChain(existsSync(path) ? readFileSync(path) : Buffer.alloc(0)).head;
    this.fd = openSync(path, 'a', 0o600);
  }

  emit(event: RunEvent): void {
    if (this.fd === undefined) throw new Error(`journal ${this.path} is closed`);
    // Redact the serialized event: it covers every field at once. The link is added after, untouched.
    const line = chainLine(this.redact(JSON.stringify(event)), this.prev);
    writeSync(this.fd, line + '\n');
    this.prev = lineHash(line);
    if (!this.fsync) return;
    if (DURABLE.has(event.type)) fsyncSync(this.fd);
    else if (DURABLE_SOON.has(event.type)) this.syncSoon();
  }

  private syncing = false;
  private syncAgain = false;

  /** One background fsync at a time; events arriving meanwhile share the next one. */
  private syncSoon(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    const fd = this.fd;
    if (fd === undefined) return;
    this.syncing = true;
    // An error here (the journal closed meanwhile: close() syncs itself) changes nothing.
    fsyncCallback(fd, () => {
      this.syncing = false;
      if (this.syncAgain && this.fd !== undefined) {
        this.syncAgain = false;
        this.syncSoon();
      }
    });
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeDurably(fd);
  }
}

/**
 * Read a journal back, without the chain links (checking them is the evidence verifier's job). A torn
 * last line (the process died mid-write) is dropped, not an error: everything before it is intact
 * because lines are written whole, in order.
 */
export function readJournal(path: string): RunEvent[] {
  const { events, unreadable } = readJournalAround(path);
  const bad = unreadable[0];
  if (bad) throw new Error(`${path}:${bad.line}: not a journal line: ${bad.message}`);
  return events;
}

/** A line of the journal that is not an event (damaged, tampered with). */
export interface UnreadableLine {
  /** 1-based line number. */
  line: number;
  message: string;
}

/**
 * The journal's events, reading around lines that are not events instead of stopping at them: for a
 * report, which should tell what can still be told. (Whether the journal was tampered with is for
 * `evidence verify`, which checks its hash chain.) A torn last line, a crash's, is not counted.
 */
export function readJournalAround(path: string): { events: RunEvent[]; unreadable: UnreadableLine[] } {
  const lines = readFileSync(path, 'utf8').split('\n');
  const events: RunEvent[] = [];
  const unreadable: UnreadableLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line) continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null || typeof (parsed as RunEvent).type !== 'string')
        throw new Error('not an event object');
      events.push(withoutLink(parsed as RunEvent));
    } catch (err) {
      if (i >= lines.length - 2) break; // the last (possibly torn) line
      unreadable.push({ line: i + 1, message: (err as Error).message });
    }
  }
  return { events, unreadable };
}

/** A torn last line, moved out of the journal so that appending continues from its last whole line. */
export interface TornTail {
  bytes: number;
  sha256: string;
  /** Run-dir-relative file that keeps the torn bytes (nothing a crash left is thrown away). */
  file: string;
}

/**
 * Before a resumed run appends: a last line cut short by the crash would glue itself to the next
 * event. Its bytes are kept beside the journal, and the journal is cut back to its last whole line.
 */
export function setAsideTornTail(path: string): TornTail | undefined {
  const bytes = readFileSync(path);
  const check = checkChain(bytes);
  if (!check.torn) {
    // A whole last line that lost only its newline: complete it.
    if (bytes.length && bytes[bytes.length - 1] !== 0x0a) writeFileSync(path, '\n', { flag: 'a' });
    return undefined;
  }
  const tail = bytes.subarray(check.bytes);
  const file = `${basename(path)}.torn-${new Date().toISOString().replace(/[-:.]/g, '')}`;
  writeFileSync(join(dirname(path), file), tail, { mode: 0o600, flag: 'wx' });
  truncateSync(path, check.bytes);
  return { bytes: tail.length, sha256: createHash('sha256').update(tail).digest('hex'), file };
}
