/**
 * One OpenSSH ControlMaster per host: a child process we own (`ssh -M -S SOCK -N`) that holds the
 * authenticated connection; every command is a channel on it. It is started in its own process group
 * (`detached`) so a Ctrl-C at the terminal reaches only us: the engine decides when hosts are left, and
 * kills commands over the master first. A process exit hook kills masters that were not closed.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, rmSync } from 'node:fs';
import { ConnectionError } from '../../core/errors.js';
import { masterFailure, serverHostKey } from './master-errors.js';
import { controlArgs } from './options.js';

/** How much of the master's stderr is kept (it logs a few debug lines per channel for as long as it lives). */
const LOG_KEEP = 64 * 1024;

const live = new Set<ChildProcess>();
const dirs = new Set<string>();
let hookInstalled = false;
function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on('exit', () => {
    for (const c of live) {
      try {
        if (c.pid) process.kill(c.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
}

/** A private control directory to remove at process exit if its owner did not. */
export function trackDir(dir: string, track: boolean): void {
  installExitHook();
  if (track) dirs.add(dir);
  else dirs.delete(dir);
}

export interface MasterParams {
  hostName: string;
  destination: string;
  sshBinary: string;
  sock: string;
  /** Full argument list (see masterArgs). */
  args: string[];
  connectTimeoutMs: number;
}

/** Run `ssh -O op` against the socket; resolves with whether it succeeded. */
export function control(sshBinary: string, destination: string, sock: string, op: 'check' | 'exit'): Promise<boolean> {
  return new Promise((resolve) =>
    execFile(sshBinary, controlArgs(destination, sock, op), { timeout: 5000 }, (err) => resolve(!err)),
  );
}

export class Master {
  private log = '';
  private exitedFlag = false;
  /** Resolves when the master process has exited. */
  readonly exited: Promise<void>;

  private constructor(
    private readonly p: MasterParams,
    private readonly child: ChildProcess,
  ) {
    live.add(child);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      this.log += s;
      // Keep the beginning (the host key line) and a bounded tail.
      if (this.log.length > 2 * LOG_KEEP) this.log = this.log.slice(0, LOG_KEEP) + this.log.slice(-LOG_KEEP);
    });
    this.exited = new Promise((resolve) =>
      child.once('close', () => {
        this.exitedFlag = true;
        live.delete(child);
        resolve();
      }),
    );
  }

  get alive(): boolean {
    return !this.exitedFlag;
  }

  /** `TYPE SHA256:...` of the host key this connection verified. */
  get hostKey(): string | undefined {
    return serverHostKey(this.log);
  }

  /** Start a master and resolve once its socket answers `-O check`; reject with ConnectionError otherwise. */
  static async start(p: MasterParams): Promise<Master> {
    installExitHook();
    await fs.rm(p.sock, { force: true });
    const child = spawn(p.sshBinary, p.args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    try {
      await spawned;
    } catch (err) {
      throw new ConnectionError(p.hostName, `cannot run ${p.sshBinary}: ${(err as Error).message}`, 'other', {
        cause: err,
      });
    }
    const m = new Master(p, child);
    const deadline = Date.now() + p.connectTimeoutMs;
    let pause = 20;
    while (m.alive) {
      if (Date.now() > deadline) {
        await m.stop();
        throw new ConnectionError(
          p.hostName,
          `timed out connecting to ${p.destination} (no master after ${p.connectTimeoutMs} ms)`,
          'timeout',
        );
      }
      // The socket appears once the master has authenticated; `-O check` proves it answers.
      const exists = await fs.stat(p.sock).then(
        () => true,
        () => false,
      );
      if (exists && (await control(p.sshBinary, p.destination, p.sock, 'check'))) return m;
      await Promise.race([m.exited, new Promise((r) => setTimeout(r, pause))]);
      pause = Math.min(200, pause * 2);
    }
    await m.exited;
    throw masterFailure(p.hostName, p.destination, m.log);
  }

  /** Resolves true when the master has exited within `ms`. */
  async goneWithin(ms: number): Promise<boolean> {
    if (!this.alive) return true;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((r) => (t = setTimeout(r, ms)))]);
    clearTimeout(t);
    return !this.alive;
  }

  /** Ask the master to exit (`-O exit`), kill it by PID if it does not, and remove its socket. */
  async stop(): Promise<void> {
    if (this.alive) {
      await control(this.p.sshBinary, this.p.destination, this.p.sock, 'exit');
      if (!(await this.goneWithin(2000))) {
        this.child.kill('SIGTERM');
        if (!(await this.goneWithin(2000))) this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    await fs.rm(this.p.sock, { force: true });
  }
}
