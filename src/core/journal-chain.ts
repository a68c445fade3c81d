/**
 * The journal's hash chain. Every line of `journal.jsonl` is one JSON event whose last field, `prev`,
 * is the SHA-256 (hex) of the previous line's bytes (without its newline); the first line's `prev` is
 * 64 zeros. Editing, deleting, inserting or reordering a line breaks the link of the line after it,
 * and the hash of the last line (the head) commits to the whole journal, so the signed manifest only
 * has to record the head and the length.
 *
 * It lives in core because two layers that must not import each other use it: the journal writes the
 * chain, the evidence verifier checks it.
 */
import { createHash } from 'node:crypto';

export const JOURNAL_FILE = 'journal.jsonl';
/** The field every chained line carries. */
export const CHAIN_FIELD = 'prev';
/** `prev` of the first line: nothing came before it. */
export const CHAIN_GENESIS = '0'.repeat(64);

/** SHA-256 (hex) of one line's bytes, without its newline. */
export function lineHash(line: string | Buffer): string {
  return createHash('sha256').update(line).digest('hex');
}

/**
 * Add the link to an event already serialized (and redacted) as a JSON object: appended as text, so
 * redaction can never touch the hash, and `JSON.parse` gives back the event plus `prev`.
 */
export function chainLine(json: string, prev: string): string {
  if (!json.endsWith('}') || json.length < 3) throw new Error(`not a JSON object line: ${json.slice(0, 80)}`);
  return `${json.slice(0, -1)},"${CHAIN_FIELD}":"${prev}"}`;
}

/** A broken link: the 1-based line number and what is wrong with it. */
export interface ChainBreak {
  line: number;
  message: string;
}

export interface ChainCheck {
  /** Whole, linked lines (a torn tail not counted). */
  lines: number;
  /** Hash of the last line counted (the genesis value when there is none). */
  head: string;
  /** Bytes up to and including the last line counted. */
  bytes: number;
  /** Some line carries a link: false for journals written before the chain existed. */
  chained: boolean;
  /** The last line was cut short by a crash (no newline, not a linked event): tolerated, not checked. */
  torn: boolean;
  breaks: ChainBreak[];
}

/** The `prev` of a line, `undefined` when the line is not a JSON object with a hex link. */
function linkOf(line: string): string | undefined | null {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return null;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return null;
  const prev = (doc as Record<string, unknown>)[CHAIN_FIELD];
  return typeof prev === 'string' && /^[0-9a-f]{64}$/.test(prev) ? prev : undefined;
}

/**
 * Check a journal link by link. A journal with no link at all is an older, unchained one (`chained`
 * false, no breaks). After a break the check goes on from the broken line, so every damaged spot is named.
 */
export function checkChain(bytes: Buffer): ChainCheck {
  const text = bytes.toString('utf8');
  const parts = text.split('\n');
  const tail = parts.pop() ?? ''; // after the last newline: '' unless the last write was cut short
  const r: ChainCheck = { lines: 0, head: CHAIN_GENESIS, bytes: 0, chained: false, torn: false, breaks: [] };
  const unchained: number[] = [];
  let offset = 0;
  const take = (line: string, n: number, isTail: boolean): boolean => {
    const link = linkOf(line);
    if (isTail && link !== r.head) return false;
    if (link === null) r.breaks.push({ line: n, message: 'not a JSON event' });
    else if (link === undefined) unchained.push(n);
    else {
      r.chained = true;
      if (link !== r.head)
        r.breaks.push({
          line: n,
          message:
            n === 1
              ? 'the first line does not start the chain (lines before it were removed?)'
              : `does not follow line ${n - 1}: line ${n - 1} or this one was edited, or lines were removed, inserted or moved here`,
        });
    }
    r.head = lineHash(line);
    r.lines = n;
    offset += Buffer.byteLength(line) + (isTail ? 0 : 1);
    r.bytes = offset;
    return true;
  };
  parts.forEach((line, i) => take(line, i + 1, false));
  if (tail) r.torn = !take(tail, parts.length + 1, true);
  if (r.chained)
    for (const n of unchained) r.breaks.push({ line: n, message: 'carries no link: inserted into the chain?' });
  r.breaks.sort((a, b) => a.line - b.line);
  return r;
}

/** An event read back without its link, so readers see exactly what was emitted. */
export function withoutLink<T>(doc: T): T {
  if (doc === null || typeof doc !== 'object' || !(CHAIN_FIELD in doc)) return doc;
  const copy = { ...doc } as Record<string, unknown>;
  delete copy[CHAIN_FIELD];
  return copy as T;
}
