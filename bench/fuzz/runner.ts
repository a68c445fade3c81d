/**
 * Runs cases in a child process (child.ts), one at a time, each within a time budget: a case over
 * it is a hang and its child is killed (a synchronous loop cannot be interrupted any other way); a
 * child that dies mid-case (out of memory, exit) is a crash. A new child takes over either way.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packagePath } from '../../src/core/package-root.js';
import type { CaseMessage, ResultMessage } from './child.js';
import type { Verdict } from './classify.js';
import type { FuzzCase } from './generate.js';

export interface CaseResult {
  fuzzCase: FuzzCase;
  verdict: Verdict;
  ms: number;
  /** Resident set size of the child after the case (0 when it was killed). */
  rss: number;
}

export interface RunnerOptions {
  /** Per-case time budget (default 5 s). */
  timeoutMs?: number;
  /** Heap limit of the child: past it the child dies, and the case counts as a crash (default 2048). */
  heapMb?: number;
  /**
   * Cases one child runs before a fresh one takes over (default 250): the CLI reads one file per
   * process, so caches grown over thousands of cases would only slow the garbage collector.
   */
  casesPerChild?: number;
}

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

export class CaseRunner {
  private child?: Promise<ChildProcess>;
  private dir?: string;
  private stderr = '';
  private nextId = 1;
  /** Highest peak RSS any child reported, bytes. */
  peakRss = 0;
  readonly timeoutMs: number;
  private readonly heapMb: number;
  private readonly casesPerChild: number;
  private casesInChild = 0;

  constructor(options: RunnerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.heapMb = options.heapMb ?? 2048;
    this.casesPerChild = options.casesPerChild ?? 250;
  }

  /** A new child with its own scratch directory, once it says it is ready (its start is not a case's time). */
  private async start(): Promise<ChildProcess> {
    this.casesInChild = 1;
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'firebreak-fuzz-'));
    const child = fork(CHILD, [this.dir], {
      cwd: packagePath(),
      execArgv: ['--import', 'tsx', `--max-old-space-size=${this.heapMb}`],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.stderr = '';
    child.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) =>
        reject(new Error(`fuzz child exited with ${code} before it was ready: ${this.stderr}`)),
      );
    });
    return child;
  }

  /** Runs one case; rejects only when a child cannot start at all. */
  async run(fuzzCase: FuzzCase): Promise<CaseResult> {
    if (this.casesInChild++ >= this.casesPerChild) await this.close();
    const child = await (this.child ??= this.start());
    const id = this.nextId++;
    const started = performance.now();
    const outcome = await new Promise<ResultMessage | 'hang' | 'died'>((resolve) => {
      const timer = setTimeout(() => done('hang'), this.timeoutMs);
      const onMessage = (m: ResultMessage) => m.id === id && done(m);
      const onExit = () => done('died');
      const done = (r: ResultMessage | 'hang' | 'died') => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(r);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      const message: CaseMessage = { id, loader: fuzzCase.loader, index: fuzzCase.index, bytes: fuzzCase.bytes };
      child.send(message);
    });
    const ms = performance.now() - started;
    if (typeof outcome === 'object') {
      this.peakRss = Math.max(this.peakRss, outcome.maxRss);
      return { fuzzCase, verdict: outcome.verdict, ms: outcome.ms, rss: outcome.rss };
    }
    await this.kill();
    if (outcome === 'hang')
      return { fuzzCase, verdict: { outcome: 'hang', error: `over ${this.timeoutMs} ms` }, ms, rss: 0 };
    const last = this.stderr.trim().split('\n').filter(Boolean).slice(-2).join(' | ');
    return { fuzzCase, verdict: { outcome: 'crash', error: `child died: ${last || 'no message'}` }, ms, rss: 0 };
  }

  private async kill(): Promise<void> {
    const child = await this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    this.removeDir();
  }

  private removeDir(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  /** Stops the child: it exits when its channel closes, or is killed after 2 s. */
  async close(): Promise<void> {
    const child = await this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    this.removeDir();
  }
}
