/**
 * A run of consecutive evidence actions in one step: their commands run a few at a time, each on its
 * own channel of the host's one connection, started in plan order (most volatile first); their
 * outputs are stored and reported strictly in plan order, so artifact ids, the journal and the
 * step's output read the same as with one command at a time.
 *
 * An item marked `alone` (a listing of live processes or sockets) runs with none of our other
 * commands beside it: they would show up in the very state it records.
 *
 * A hardened sshd may allow fewer sessions per connection than we use (`MaxSessions`): a refused
 * channel is no failure while the connection lives. It lowers the number of channels for the rest of
 * the batch (unless one of ours just closed: sshd may still count that one), and the command backs off
 * and tries again; only after ~4 s of refusals does it fail like any other lost channel.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError } from '../core/index.js';
import { checkFreeSpace } from '../evidence/index.js';
import {
  acquireEvidence,
  storeEvidence,
  type Acquired,
  type EvidenceAction,
  type EvidenceOutcome,
  type EvidenceRun,
} from './evidence-action.js';

/** A refused channel within this long after one of ours closed may be sshd still counting that one. */
const CLOSE_LAG_MS = 300;
/** Refusals of one item's channel (~4 s of backing off) before it fails like any other lost channel. */
const MAX_REFUSALS = 10;

/** Evidence commands run at once on one host: OpenSSH's `MaxSessions` defaults to 10, and a kill takes a channel too. */
export const DEFAULT_EVIDENCE_CHANNELS = 4;

export interface EvidenceItem {
  run: EvidenceRun;
  action: EvidenceAction;
}

/**
 * Who may open a channel next: items start strictly in plan order, at most `limit` at once, and an
 * `alone` item only on an otherwise idle connection, with nothing started beside it. The limit only
 * ever goes down (sshd told us its own).
 */
class Gate {
  private active = 0;
  private aloneActive = false;
  private lastLeave = 0;
  private readonly queue: Array<{ alone: boolean; go: () => void }> = [];

  constructor(private limit: number) {}

  /** Wait for a turn; `first` puts a retry ahead of the items not yet started. */
  enter(alone: boolean, first = false): Promise<void> {
    return new Promise((go) => {
      if (first) this.queue.unshift({ alone, go });
      else this.queue.push({ alone, go });
      this.pump();
    });
  }

  leave(alone: boolean): void {
    this.active--;
    if (alone) this.aloneActive = false;
    this.lastLeave = Date.now();
    this.pump();
  }

  /**
   * sshd refused one more channel. Right after one of ours closed, sshd may still count it (the close
   * is on its way): that says nothing of its limit. Otherwise what the others hold is its limit.
   */
  refused(): void {
    if (this.active > 1 && Date.now() - this.lastLeave > CLOSE_LAG_MS)
      this.limit = Math.min(this.limit, this.active - 1);
  }

  private pump(): void {
    for (let next = this.queue[0]; next; next = this.queue[0]) {
      if (this.aloneActive || this.active >= this.limit || (next.alone && this.active > 0)) return;
      this.queue.shift();
      this.active++;
      this.aloneActive = next.alone;
      next.go();
    }
  }
}

/** sshd's answer to a channel beyond its MaxSessions ("open failed"), as opposed to a dead connection. */
function isChannelRefusal(err: unknown): boolean {
  return err instanceof ConnectionError && err.reason !== 'closed' && /cannot open a channel/.test(err.message);
}

/**
 * Acquire every item (at most `channels` at once) and store each in plan order, calling `onStored`
 * for it. Items not started when the signal aborts or after a failure are skipped. Everything acquired
 * is stored, also after another item failed; the first failure (in plan order) is thrown at the end.
 */
export async function runEvidenceBatch(
  items: readonly EvidenceItem[],
  channels: number,
  signal: AbortSignal,
  onStored: (outcome: EvidenceOutcome) => void,
): Promise<void> {
  const gate = new Gate(Math.max(1, Math.floor(channels)));
  let halted = false;
  const acquire = async ({ run, action }: EvidenceItem): Promise<Acquired | undefined> => {
    const alone = action.alone === true;
    for (let refusals = 0; ;) {
      await gate.enter(alone, refusals > 0);
      try {
        if (halted || signal.aborted) return undefined;
        checkFreeSpace(
          run.store.runDir,
          'firebreak stopped the run before this evidence command; what is stored so far is sealed with it',
        );
        return await acquireEvidence(run, action);
      } catch (err) {
        if (!isChannelRefusal(err) || ++refusals > MAX_REFUSALS) {
          halted = true;
          throw err;
        }
        gate.refused();
      } finally {
        gate.leave(alone);
      }
      await sleep(Math.min(refusals, 5) * 100);
    }
  };
  const acquisitions = items.map(acquire);
  // Awaited one by one below; until then a rejection must not count as unhandled.
  for (const a of acquisitions) a.catch(() => undefined);

  let firstError: unknown;
  for (const [k, acquisition] of acquisitions.entries()) {
    try {
      const acquired = await acquisition;
      if (acquired) onStored(await storeEvidence(items[k]!.run, items[k]!.action, acquired));
    } catch (err) {
      firstError ??= err;
    }
  }
  if (firstError !== undefined) throw firstError;
}
