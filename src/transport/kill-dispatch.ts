/**
 * Remote kills requested but not yet dispatched: their channel is not yet open, or sshd has not yet
 * accepted the kill script, or its stdin is not yet ended. Once dispatched, the script finishes on the
 * host after we disconnect (it ignores HUP/PIPE); before that, a controller that exits leaves the
 * command running. Process-wide on purpose: the question it answers is whether the process may exit.
 */
const inFlight = new Set<Promise<void>>();

/** Record a kill request; call the returned function once it is dispatched, or cannot be. Idempotent. */
export function beginKillDispatch(): () => void {
  let dispatched!: () => void;
  const p = new Promise<void>((resolve) => (dispatched = resolve));
  inFlight.add(p);
  void p.then(() => inFlight.delete(p));
  return dispatched;
}

/** Resolves when every kill requested so far has been dispatched (or could not be). */
export async function killsDispatched(): Promise<void> {
  await Promise.all(inFlight);
}
