/**
 * Riding out a NATS server that restarts or a link that drops: the client reconnects by itself, but a
 * request made meanwhile fails (timeout, no responders, JetStream not ready). Those are tried again for
 * a while; a compare-and-set conflict is an answer, not a fault, and is never retried.
 */

/** How long a bus operation is tried before its failure counts. */
export const BUS_RETRY_MS = 5 * 60_000;

/** A KV compare-and-set lost: someone else wrote the key first. */
export function isConflict(err: unknown): boolean {
  return /wrong last sequence|key exists/i.test(String((err as Error)?.message ?? err));
}

export async function retryBus<T>(what: string, fn: () => Promise<T>, limitMs = BUS_RETRY_MS): Promise<T> {
  const start = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (isConflict(err) || Date.now() - start > limitMs)
        throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, Math.min(2000, 250 * attempt)));
    }
  }
}
