/**
 * The two ends of a journal: its first event (`run.started`: the runbook, hosts, start time) and its
 * last (how far the run got), read without reading the lines between, which can run to hundreds of
 * megabytes on a large fleet. For listing many runs at once; `readJournal` reads every event.
 *
 * Tolerant by design: a torn last line (the controller died mid-write) is reported, not thrown, and the
 * whole line before it is taken as the last event; a line that is not an event gives no event.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { withoutLink, type RunEvent } from '../core/index.js';

/** What the two ends of a journal say. */
export interface JournalEnds {
  first?: RunEvent;
  /** The last whole event (the first one again when there is only one). */
  last?: RunEvent;
  /** The file ends in a line cut short: written by a process that died mid-write. */
  torn: boolean;
}

/** Read this much of an end first; a longer line (a step's 64 KiB output head) makes it read more. */
const WINDOW = 64 * 1024;

export function readJournalEnds(path: string): JournalEnds {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const firstLine = headLine(fd, size);
    const { line: lastLine, torn } = tailLine(fd, size);
    const first = firstLine === undefined ? undefined : parseEvent(firstLine);
    const last = lastLine === undefined ? undefined : parseEvent(lastLine);
    return { ...(first ? { first } : {}), ...(last ? { last } : {}), torn };
  } finally {
    closeSync(fd);
  }
}

/** The text of the first line (up to its newline, or the end of the file). */
function headLine(fd: number, size: number): string | undefined {
  for (let window = WINDOW; ; window *= 4) {
    const text = readRange(fd, 0, Math.min(window, size));
    const end = text.indexOf('\n');
    if (end >= 0) return text.slice(0, end);
    if (window >= size) return text || undefined;
  }
}

/**
 * The last line that parses as an event and where nothing whole follows it: the text after the last
 * newline when it is an event (a line written whole whose newline was not), else the line before it,
 * the text after the newline then being torn.
 */
function tailLine(fd: number, size: number): { line?: string; torn: boolean } {
  for (let window = WINDOW; ; window *= 4) {
    const start = Math.max(0, size - window);
    const lines = readRange(fd, start, size).split('\n');
    const after = lines.pop() ?? '';
    if (after && parseEvent(after)) return { line: after, torn: false };
    const torn = after !== '';
    // The first piece of a window that does not start the file may be the end of a longer line.
    if (lines.length >= (start === 0 ? 1 : 2)) return { line: lines[lines.length - 1], torn };
    if (start === 0) return { torn };
  }
}

function readRange(fd: number, start: number, end: number): string {
  const buf = Buffer.alloc(end - start);
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, start + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got).toString('utf8');
}

function parseEvent(line: string): RunEvent | undefined {
  try {
    const doc = JSON.parse(line) as unknown;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
    const event = doc as Partial<RunEvent>;
    return typeof event.type === 'string' && typeof event.at === 'string' ? withoutLink(event as RunEvent) : undefined;
  } catch {
    return undefined;
  }
}
