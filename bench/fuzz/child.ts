/**
 * The child process that runs cases, one at a time, so a synchronous hang can be cut off by killing
 * it (runner.ts) and a crash that kills it (out of memory) is counted instead of ending the run.
 * Messages: `'ready'` once loaded; in `{ id, loader, index, bytes }`, out `{ id, verdict, ms, rss, maxRss }`.
 */
import { classify, type Verdict } from './classify.js';
import { TARGETS } from './targets.js';

export interface CaseMessage {
  id: number;
  loader: string;
  index: number;
  bytes: Uint8Array;
}

export interface ResultMessage {
  id: number;
  verdict: Verdict;
  ms: number;
  /** Resident set size after the case, bytes. */
  rss: number;
  /** Peak resident set size of the child so far, bytes. */
  maxRss: number;
}

/** Loaders whose input is a command-line string, not a file: their errors cannot name a file. */
const FILELESS = new Set(['host-list', 'limit', 'extra-vars', 'canary']);

/** The scratch directory the runner made for this child; it removes it too. */
const dir = process.argv[2] as string;
let current: CaseMessage | undefined;
let started = 0;

function reply(verdict: Verdict): void {
  if (!current) return;
  const message: ResultMessage = {
    id: current.id,
    verdict,
    ms: performance.now() - started,
    rss: process.memoryUsage.rss(),
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
  current = undefined;
  process.send?.(message);
}

// A throw that escapes the loader's promise (a callback, a stream) is a crash of the current case;
// the process state is unknown afterwards, so the runner starts a new child.
for (const event of ['uncaughtException', 'unhandledRejection'] as const)
  process.on(event, (err: unknown) => {
    reply(classify(err));
    process.exit(70);
  });

process.on('message', async (m: CaseMessage) => {
  current = m;
  started = performance.now();
  const target = TARGETS[m.loader];
  let thrown: unknown;
  try {
    if (!target) throw new Error(`no target for loader ${m.loader}`);
    await target(Buffer.from(m.bytes), dir, m.index);
  } catch (err) {
    thrown = err ?? new Error('undefined thrown');
  }
  reply(classify(thrown, FILELESS.has(m.loader) ? undefined : dir));
});

process.on('disconnect', () => process.exit(0));
process.send?.('ready');
