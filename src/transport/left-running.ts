/**
 * Commands a lost connection left running on a host. A host cut off by the network never learns that
 * we gave up: sshd has no reason to end the session while the command is quiet, so the command (and
 * its sshd session) would live on after the network comes back. The transport notes each one and
 * kills it as soon as it is connected to the host again (a retry, a later reconnect, or the last try
 * when the run closes its hosts).
 *
 * The PID alone is not trusted: by then the host may have rebooted or reused it. The kill runs only if
 * the process still carries this command's nonce, in its command line (the wrapper shell) or in its
 * environment (what the wrapper exec'd, sudo included) — see remote-command.ts.
 */
import type { Become } from '../core/host.js';
import { killCommand } from './remote-command.js';
import type { ChannelOpener } from './channel-exec.js';

/** One command left running: its wrapper's PID and nonce, and how it was run (to kill it as that user). */
export interface LeftCommand {
  pid: number;
  nonce: string;
  become?: Become;
}

/** How long one kill may take before we leave it (the kill script itself is bounded at ~2.5 s). */
const KILL_BOUND_MS = 10_000;

export class LeftRunning {
  private readonly left: LeftCommand[] = [];
  private sweeping?: Promise<void>;

  get count(): number {
    return this.left.length;
  }

  note(command: LeftCommand): void {
    this.left.push(command);
  }

  /** Kill every noted command over `open` (a fresh channel each); best effort, bounded, never throws. */
  sweep(open: ChannelOpener): Promise<void> {
    this.sweeping ??= (async () => {
      while (this.left.length) {
        const c = this.left.shift() as LeftCommand;
        await killLeft(open, c).catch(() => undefined);
      }
    })().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }
}

async function killLeft(open: ChannelOpener, c: LeftCommand): Promise<void> {
  const ch = await open(killCommand(c.pid, c.nonce, c.become, { onlyIfCarries: c.nonce }));
  ch.onStdout(() => undefined);
  ch.onStderr(() => undefined);
  ch.end(c.become?.password !== undefined ? `${c.become.password}\n` : undefined);
  let t: NodeJS.Timeout | undefined;
  await Promise.race([ch.closed, new Promise<void>((resolve) => (t = setTimeout(resolve, KILL_BOUND_MS)))]);
  clearTimeout(t);
  ch.close();
}
