/**
 * The executor: runs a runbook's phases over hosts and emits events; nothing else performs side effects
 * on hosts.
 *
 * Scheduling (Ansible's per-play model, one "play" per phase): phases run in order isolate → collect →
 * rebuild → restore. For each phase, the hosts still in the run are split by that phase's `serial`; a
 * batch runs the phase's steps with at most `forks` hosts at once, each host moving through the steps on
 * its own; the batch is a barrier (the next batch, and the next phase, start when every host of the batch
 * has ended). A host that failed or was unreachable takes no part in later phases.
 *
 * Stopping: `max_fail_percentage` is counted over the current batch; exceeding it stops new work (no new
 * host, no next step) but lets running steps end. `abort()` (or the injected signal) also kills running
 * remote commands. Both end the run with exit code 4, as does a refused confirmation.
 */
import pLimit from 'p-limit';
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { ExitCode, JOURNAL_FILE, type EventSink, type Host, type PhaseName, type RunEvent } from '../core/index.js';
import { LIMITS } from '../core/limits.js';
import { Journal, createRedactor, setAsideTornTail, type TornTail } from '../journal/index.js';
import { becomePasswordOf } from '../inventory/index.js';
import { maxFailExceeded, splitBatches } from './batches.js';
import { DEFAULT_EVIDENCE_CHANNELS } from './evidence-batch.js';
import type { Clock, OutputLimits, RemotePhaseIo, RunHandle, RunOptions, RunSummary } from './executor-types.js';
import {
  replayPhase,
  runHostPhase,
  type EventInput,
  type HostPhaseResult,
  type HostRunContext,
} from './host-runner.js';
import { numberedPhases } from './phase-steps.js';
import { RecapTally } from './recap.js';
import { batchKey } from './replay.js';
import { createRunDir, SUMMARY_FILE, writeJsonAtomic } from './run-dir.js';
import { acquireRunLock, releaseRunLock } from './run-lock.js';
import { checkFreeSpace, EvidenceStore } from '../evidence/index.js';
import { HostSession } from './session.js';

export const DEFAULT_FORKS = 100;

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = {
  linesPerStep: 20,
  lineChars: 300,
  headChars: 64 * 1024,
  maxInMemoryBytes: 4 * 1024 * 1024,
  maxFileBytes: LIMITS.outputFileBytes,
};

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** Start a run. The run directory and journal exist when this returns; the work happens in `done`. */
export function startRun<S>(opts: RunOptions<S>): RunHandle {
  const clock = opts.clock ?? systemClock;
  const resume = opts.resume;
  // A resumed run keeps its id, directory and start: its duration includes the time it lay crashed.
  const startMs = resume ? Date.parse(resume.events[0]?.at ?? '') || clock.now() : clock.now();
  checkFreeSpace(resume?.runDir ?? opts.runsDir ?? 'runs', `nothing was ${resume ? 'resumed' : 'started'}`);
  const { runId, dir } = resume
    ? { runId: resume.position.runId, dir: resume.runDir }
    : createRunDir(opts.runsDir ?? 'runs', opts.runbook.name, startMs);
  // Held while this controller writes the run: `runs list` shows it running, `resume` refuses it.
  const lock = acquireRunLock(dir);
  let journal: Journal;
  let tornTail: TornTail | undefined;
  try {
    if (!resume) opts.prepareRunDir?.(dir);
    // Resumed: a last line the crash cut short is kept aside, so the next event starts a line of its own.
    else tornTail = setAsideTornTail(join(dir, JOURNAL_FILE));
    journal = new Journal(join(dir, JOURNAL_FILE), {
      secrets: [...(opts.secrets ?? []), opts.becomePassword],
      fsync: opts.fsync,
    });
  } catch (err) {
    releaseRunLock(lock);
    throw err;
  }
  const tally = new RecapTally(opts.hosts.map((h) => h.name));
  for (const e of resume?.events ?? []) tally.add(e);
  const controller = new AbortController();
  // Every running step on every host listens on this one signal: hundreds of listeners are expected.
  setMaxListeners(0, controller.signal);
  let stopReason: string | undefined;
  let stopExit: ExitCode = ExitCode.Aborted;

  const sinks: readonly EventSink[] = opts.sinks ?? [];
  // The terminal (renderers, the recap) shows events redacted as the journal writes them: a vaulted
  // value a step echoed is *** there too. Only runs with a secret pay for the copy.
  const redacting = [...(opts.secrets ?? []), opts.becomePassword].some((s) => typeof s === 'string' && s !== '');
  const emit = (input: EventInput): void => {
    const event = { ...input, at: new Date(clock.now()).toISOString() } as RunEvent;
    tally.add(event);
    try {
      journal.emit(event);
    } catch (err) {
      // Running blind, without a record of what was done to the hosts, is worse than stopping.
      abort(`journal write failed: ${(err as Error).message}`);
    }
    const shown = redacting && sinks.length ? (JSON.parse(journal.redact(JSON.stringify(event))) as RunEvent) : event;
    for (const sink of sinks) {
      try {
        sink.emit(shown);
      } catch {
        // A broken renderer must not stop an incident response; the journal still has everything.
      }
    }
  };
  /** Stop scheduling; with `kill`, also abort running commands. The first reason (and its exit code) wins. */
  const stop = (reason: string, kill: boolean, exitCode: ExitCode = ExitCode.Aborted): void => {
    if (kill && !controller.signal.aborted) controller.abort(reason);
    if (stopReason !== undefined) return;
    stopReason = reason;
    stopExit = exitCode;
    emit({ type: 'run.aborted', reason });
  };
  const abort = (reason: string): void => stop(reason, true);
  if (opts.signal) {
    if (opts.signal.aborted) abort(String(opts.signal.reason ?? 'aborted'));
    else opts.signal.addEventListener('abort', () => abort(String(opts.signal?.reason ?? 'aborted')), { once: true });
  }

  const done = (async (): Promise<RunSummary> => {
    const sessions = new Map(opts.hosts.map((h) => [h.name, new HostSession(h, opts.transportFor)]));
    const evidence = lazyEvidence(dir, opts.evidence, opts.fsync);
    let summary: RunSummary | undefined;
    try {
      const phasesRun = await runPhases(opts, {
        emit,
        clock,
        signal: controller.signal,
        stopping: () => stopReason !== undefined,
        stop,
        ended: (host) => tally.hasEnded(host),
        sessions,
        runId,
        runDir: dir,
        evidence,
        ...(tornTail ? { tornTail } : {}),
      });
      await closeAll([...sessions.values()], opts.closeTimeoutMs ?? 10_000);
      for (const h of opts.hosts)
        if ((phasesRun.get(h.name) ?? 0) < phasesRun.total && stopReason !== undefined) tally.markAborted(h.name);
      const recap = tally.recap();
      const count = (s: string): number => recap.filter((r) => r.state === s).length;
      const exitCode =
        stopReason !== undefined
          ? stopExit
          : recap.some((r) => r.state === 'failed' || r.state === 'unreachable')
            ? ExitCode.HostsFailed
            : ExitCode.Ok;
      const endMs = clock.now();
      emit({ type: 'run.finished', exitCode, durationMs: endMs - startMs, recap });
      summary = {
        runId,
        runbook: opts.runbook.name,
        runDir: dir,
        startedAt: new Date(startMs).toISOString(),
        finishedAt: new Date(endMs).toISOString(),
        durationMs: endMs - startMs,
        exitCode,
        ...(stopReason !== undefined ? { aborted: stopReason } : {}),
        counts: {
          hosts: recap.length,
          ok: count('ok'),
          failed: count('failed'),
          unreachable: count('unreachable'),
          aborted: count('aborted'),
        },
        recap,
      };
      writeJsonAtomic(join(dir, SUMMARY_FILE), summary, journal.redact);
      // The seal is the run's last write: the journal's last line and summary.json are in it. A crash
      // before it leaves an unsigned store and a journal that still verify as far as they go.
      journal.close();
      // The lock goes before the seal, not after: the seal lists every file of the run directory, and a
      // lock sealed and then removed would fail `evidence verify`. Nothing is left to guard by now: the
      // journal is closed, summary.json says the run ended (runState reads it before the lock), and the
      // seal writes only inside evidence/.
      releaseRunLock(lock);
      await evidence.seal();
      return summary;
    } finally {
      if (!summary) await closeAll([...sessions.values()], opts.closeTimeoutMs ?? 10_000);
      evidence.close();
      journal.close();
      // A run that failed inside this process (a bug, a full disk) ended too: without a summary it shows as crashed.
      releaseRunLock(lock);
    }
  })();

  return { runId, runDir: dir, abort, done };
}

interface Engine {
  emit: (e: EventInput) => void;
  clock: Clock;
  signal: AbortSignal;
  stopping: () => boolean;
  stop: (reason: string, kill: boolean, exitCode?: ExitCode) => void;
  /** An `end_host` step ended this host's run (journaled, or relayed by a worker): no later phase takes it. */
  ended: (host: string) => boolean;
  sessions: Map<string, HostSession>;
  runId: string;
  runDir: string;
  evidence: LazyEvidence;
  tornTail?: TornTail;
}

/** Phases completed per host, plus how many phases there were. */
type PhaseCounts = Map<string, number> & { total: number };

async function runPhases<S>(opts: RunOptions<S>, eng: Engine): Promise<PhaseCounts> {
  const numbered = numberedPhases(opts.runbook);
  const phases = numbered.map((p) => p.phase);
  const forks = Math.max(1, Math.floor(opts.forks ?? DEFAULT_FORKS));
  const hostNames = opts.hosts.map((h) => h.name);
  const resume = opts.resume;
  const pos = resume?.position;
  if (resume && pos) {
    const inFlight = [...pos.hosts.values()].flatMap((h) =>
      h.inFlight && !h.out ? [{ host: h.host, step: h.inFlight.name, index: h.inFlight.index }] : [],
    );
    eng.emit({
      type: 'run.resumed',
      resume: pos.resumes + 1,
      ...(pos.lastAt ? { lastEventAt: pos.lastAt } : {}),
      inFlight,
      ...(eng.tornTail ? { tornTail: eng.tornTail } : {}),
    });
  } else {
    eng.emit({
      type: 'run.started',
      runId: eng.runId,
      runbook: opts.runbook.name,
      runDir: eng.runDir,
      hosts: hostNames,
      phases,
      forks,
    });
    if (opts.inputs) eng.emit({ type: 'run.inputs', inputs: opts.inputs });
  }
  const done = Object.assign(new Map<string, number>(), { total: phases.length }) as PhaseCounts;
  const limits = { ...DEFAULT_OUTPUT_LIMITS, ...opts.outputLimits };
  const redact = createRedactor([...(opts.secrets ?? []), opts.becomePassword]);
  const registered = new Map(hostNames.map((h) => [h, {} as Record<string, unknown>]));
  const limit = pLimit(forks);
  let alive: Host[] = [...opts.hosts];
  const hostContext = (host: Host): HostRunContext<S> => ({
    host,
    session: eng.sessions.get(host.name)!,
    registered: registered.get(host.name)!,
    planStep: opts.planStep,
    evaluate: opts.evaluate,
    analyze: opts.analyze,
    emit: eng.emit,
    clock: eng.clock,
    signal: eng.signal,
    stopping: eng.stopping,
    stop: eng.stop,
    limits,
    redact,
    runDir: eng.runDir,
    runId: eng.runId,
    ...hostBecomePassword(host, opts.becomePassword),
    evidence: eng.evidence.open,
    evidenceChannels: Math.max(1, Math.floor(opts.evidenceChannels ?? DEFAULT_EVIDENCE_CHANNELS)),
    ...(pos?.hosts.get(host.name) ? { position: pos.hosts.get(host.name)! } : {}),
  });

  const lastPhase = numbered[numbered.length - 1]?.phase;
  for (const { phase, spec, steps } of numbered) {
    if (eng.stopping() || alive.length === 0) break;
    // Resumed: a phase that had started was confirmed then.
    if (
      spec.confirm &&
      !pos?.phasesStarted.has(phase) &&
      !(await confirmPhase(opts, eng, phase, spec.confirm, alive.length))
    )
      break;
    let batches: Host[][];
    try {
      batches = splitBatches(alive, spec.serial);
    } catch (err) {
      eng.stop(`phase ${phase}: ${(err as Error).message}`, true);
      break;
    }
    const survivors: Host[] = [];
    /** Resumed: how the journal says a host ended this phase (an aborted host goes on). */
    const journaled = (h: Host): HostPhaseResult | undefined => {
      const r = pos?.hosts.get(h.name)?.phases[phase];
      return r === 'aborted' ? undefined : r;
    };
    for (const [b, batch] of batches.entries()) {
      if (eng.stopping()) break;
      const key = batchKey(phase, b + 1);
      if (pos?.batchesDone.has(key)) {
        // The same hosts split the same way: this batch ended before the crash.
        for (const h of batch) await replayPhase(hostContext(h), phase, steps);
        const ok = batch.filter((h) => journaled(h) === 'ok');
        for (const h of ok) done.set(h.name, (done.get(h.name) ?? 0) + 1);
        survivors.push(...ok.filter((h) => !eng.ended(h.name)));
        continue;
      }
      const names = batch.map((h) => h.name);
      if (!pos?.batchesStarted.has(key))
        eng.emit({ type: 'phase.started', phase, batch: b + 1, batches: batches.length, hosts: names });
      let failed = batch.filter((h) => journaled(h) === 'failed' || journaled(h) === 'unreachable').length;
      const results = await Promise.all(
        batch.map((host) =>
          limit(async (): Promise<HostPhaseResult> => {
            const before = journaled(host);
            if (before) {
              await replayPhase(hostContext(host), phase, steps);
              return before;
            }
            if (eng.stopping()) return 'aborted';
            const r = opts.remote?.owns(host)
              ? await opts.remote.runPhase(
                  host,
                  phase,
                  steps.map((s) => s.index),
                  remoteIo(hostContext(host), phase, eng.evidence.open),
                )
              : await runHostPhase(hostContext(host), phase, steps);
            // Its last phase done, the host's connection is not needed again: close it now, not at the end.
            if (phase === lastPhase) void eng.sessions.get(host.name)?.finish();
            if (r === 'failed' || r === 'unreachable') {
              failed++;
              if (maxFailExceeded(failed, batch.length, spec.max_fail_percentage)) {
                eng.stop(
                  `max_fail_percentage ${spec.max_fail_percentage}% exceeded in phase ${phase} (batch ${b + 1}): ${failed} of ${batch.length} hosts failed`,
                  false,
                );
              }
            }
            return r;
          }),
        ),
      );
      const ok = batch.filter((_, i) => results[i] === 'ok');
      for (const h of ok) done.set(h.name, (done.get(h.name) ?? 0) + 1);
      survivors.push(...ok.filter((h) => !eng.ended(h.name)));
      eng.emit({
        type: 'phase.finished',
        phase,
        batch: b + 1,
        batches: batches.length,
        ok: ok.map((h) => h.name),
        failed: batch.filter((_, i) => results[i] === 'failed' || results[i] === 'unreachable').map((h) => h.name),
      });
    }
    alive = survivors;
  }
  return done;
}

/** What a remote host-phase needs of the host's context. */
function remoteIo<S>(ctx: HostRunContext<S>, phase: PhaseName, evidence: () => Promise<EvidenceStore>): RemotePhaseIo {
  return {
    runId: ctx.runId,
    emit: ctx.emit,
    registered: ctx.registered,
    signal: ctx.signal,
    stopping: ctx.stopping,
    evidence,
    runDir: ctx.runDir,
    entered: ctx.position?.entered.includes(phase) ?? false,
  };
}

/** Ask before a phase; a refusal (or no way to ask) stops the run before the phase starts. */
async function confirmPhase<S>(
  opts: RunOptions<S>,
  eng: Engine,
  phase: PhaseName,
  confirm: true | string,
  hosts: number,
): Promise<boolean> {
  const message = typeof confirm === 'string' ? confirm : `Run phase ${phase} on ${hosts} host(s)?`;
  if (!opts.confirm) {
    eng.stop(`phase ${phase} needs confirmation and there is no way to ask`, true);
    return false;
  }
  let answer: boolean;
  try {
    const aborted = new Promise<boolean>((resolve) => {
      if (eng.signal.aborted) resolve(false);
      eng.signal.addEventListener('abort', () => resolve(false), { once: true });
    });
    answer = await Promise.race([opts.confirm(phase, message), aborted]);
  } catch (err) {
    eng.stop(`phase ${phase} not confirmed: ${(err as Error).message}`, true);
    return false;
  }
  if (!answer) eng.stop(`phase ${phase} not confirmed`, true);
  return answer && !eng.stopping();
}

interface LazyEvidence {
  open: () => Promise<EvidenceStore>;
  /** Sign the manifest, which seals the whole run directory; the last write of a run. */
  seal: () => Promise<void>;
  close: () => void;
}

/**
 * The run's evidence store, created on the first evidence action, or at the seal: a run that collected
 * nothing still gets its run directory sealed, so its evidence/ holds only the custody log and the manifest.
 */
function lazyEvidence(runDir: string, options: RunOptions<unknown>['evidence'], fsync?: boolean): LazyEvidence {
  let store: Promise<EvidenceStore> | undefined;
  const open = (): Promise<EvidenceStore> =>
    (store ??= EvidenceStore.open(runDir, {
      ...(options?.signingKeyFile ? { signingKeyFile: options.signingKeyFile } : {}),
      ...(options?.signingKeyPassphrase ? { signingKeyPassphrase: options.signingKeyPassphrase } : {}),
      ...(options?.keyringDir ? { keyringDir: options.keyringDir } : {}),
      ...(options?.caseRecord ? { caseRecord: options.caseRecord } : {}),
      ...(fsync === false ? { fsync: false } : {}),
    }));
  return {
    open,
    seal: async () => {
      await (await open()).finalize();
    },
    close: () => void store?.then((s) => s.close()).catch(() => undefined),
  };
}

/** Close every connection, bounded in time: a wedged socket must not keep the run from ending. */
async function closeAll(sessions: HostSession[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  await Promise.race([Promise.allSettled(sessions.map((s) => s.finish())), bound]);
  clearTimeout(timer);
}

/**
 * A host's sudo password: the inventory's ansible_become_password beats the run-wide one (-K, the
 * environment), as in Ansible.
 */
function hostBecomePassword(host: Host, runWide: string | undefined): { becomePassword?: string } {
  const password = becomePasswordOf(host) ?? runWide;
  return password !== undefined ? { becomePassword: password } : {};
}
