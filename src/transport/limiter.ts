/**
 * A keyed semaphore: at most `limit` concurrent holders per key (here: per target sshd
 * `address:port`). OpenSSH's default `MaxStartups 10:30:100` starts dropping unauthenticated
 * connections at random once 10 are pending, so we keep our own handshakes to one sshd below that.
 */
export class KeyedLimiter {
  private readonly slots = new Map<string, { active: number; waiting: Array<() => void> }>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  /** Run `fn` holding one slot of `key`. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    await this.acquire(key);
    try {
      return await fn();
    } finally {
      this.release(key);
    }
  }

  private acquire(key: string): Promise<void> {
    let s = this.slots.get(key);
    if (!s) this.slots.set(key, (s = { active: 0, waiting: [] }));
    if (s.active < this.limit) {
      s.active++;
      return Promise.resolve();
    }
    const slot = s;
    return new Promise((resolve) => slot.waiting.push(resolve));
  }

  private release(key: string): void {
    const s = this.slots.get(key);
    if (!s) return;
    const next = s.waiting.shift();
    if (next)
      next(); // hand the slot over directly: active stays the same
    else if (--s.active === 0) this.slots.delete(key);
  }
}

/** Full jitter backoff: a random delay in [base, base * 2^attempt], capped. */
export function backoffMs(attempt: number, baseMs = 100, capMs = 2000): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return baseMs + Math.random() * Math.max(0, ceiling - baseMs);
}
