/**
 * One attempt of one planned step on one host: apply its actions in order on the host's connection.
 * Execs stop at the first one that fails (timeout, signal, or the step's failure test); the step's
 * `rc` is the first non-zero exit among its commands (so `script`'s clean-up cannot hide the script's
 * code), its outputs are the commands' outputs concatenated. Connection loss is reported separately:
 * it makes the host unreachable rather than the step failed.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import {
  ConnectionError,
  describeExecFailure,
  EnvironmentError,
  type Become,
  type ExecResult,
  type PhaseName,
  type StoredArtifact,
} from '../core/index.js';
import type { EvidenceTarget } from '../evidence/index.js';
import type { Redactor } from '../journal/index.js';
import type { EvidenceAction } from './evidence-action.js';
import { runEvidenceBatch } from './evidence-batch.js';
import { probeHost } from './host-probe.js';
import type { Clock, CollectedOutput, OutputLimits, RegisteredResult } from './executor-types.js';
import type { Condition, ConditionField, PlannedStep } from './planned-step.js';
import { runLocal } from './local-action.js';
import { OutputThrottle, type OutputLine } from './output.js';
import type { HostSession } from './session.js';
import { formatBytes } from '../core/format-bytes.js';

/** Evaluates one of the step's conditions on a result (RunOptions.evaluate, bound to the host and step). */
export type Judge = (condition: Condition, field: ConditionField, result: RegisteredResult) => boolean;

export interface AttemptContext {
  session: HostSession;
  planned: PlannedStep;
  judge: Judge;
  clock: Clock;
  signal: AbortSignal;
  limits: OutputLimits;
  redact: Redactor;
  runDir: string;
  /** Absolute directory of this host's files. */
  hostDir: string;
  /** Absolute path prefix of this step's output files (without `.stdout`). */
  fileBase: string;
  onLine: OutputLine;
  becomePassword?: string;
  /** The run's evidence store, opened on first use. */
  evidence: () => Promise<EvidenceTarget>;
  /** Journal an artifact as soon as it is stored. */
  onArtifact: (artifact: StoredArtifact) => void;
  /** Journal a host key a rebuild step accepted for its reinstalled host. */
  onHostKeyReplaced: (change: { oldFingerprint: string | null; newFingerprint: string }) => void;
  phase: PhaseName;
  stepName: string;
  /** Evidence commands run at once on the host's connection. */
  evidenceChannels: number;
  /** The controller cannot go on (its disk is nearly full): stop the whole run, not only this host. */
  stopRun: (err: EnvironmentError) => void;
}

export interface AttemptResult {
  result: RegisteredResult;
  /** One sentence on why it failed; set iff `result.failed`. */
  message?: string;
  /** Set when the connection was lost: the host is unreachable. */
  unreachable?: ConnectionError;
  stdoutFile?: string;
  stderrFile?: string;
  /** Set when an output file was capped: what was printed and what was kept. */
  outputCapped?: string;
  /** Evidence outputs, for the step's analyze(). */
  outputs: CollectedOutput[];
}

/** Whether a result fails the step: a timeout always does; otherwise failed_when, else rc != 0. */
export function isFailure(r: RegisteredResult, planned: PlannedStep, judge: Judge): boolean {
  if (r.timedOut) return true;
  // `failed_when: false` is a condition too (never fail), hence the explicit undefined test.
  if (planned.failedWhen !== undefined) return judge(planned.failedWhen, 'failed_when', r);
  return r.rc !== 0;
}

export async function runAttempt(ctx: AttemptContext, attempt: number): Promise<AttemptResult> {
  const { planned, session, signal } = ctx;
  const start = ctx.clock.now();
  const execs: ExecResult[] = [];
  const spilled = { stdout: undefined as string | undefined, stderr: undefined as string | undefined };
  const hint = relative(ctx.runDir, ctx.fileBase) + '.stdout|.stderr';
  const throttle = new OutputThrottle(ctx.limits, ctx.onLine, hint);
  const result = (): RegisteredResult => combine(execs, ctx.clock.now() - start, attempt, ctx.limits.headChars);
  let failMessage: string | undefined;
  const outputs: CollectedOutput[] = [];
  const artifacts: StoredArtifact[] = [];
  const evidenceProblems: string[] = [];
  const evidenceLines: string[] = [];
  const evidenceErrors: string[] = [];

  try {
    for (let i = 0; i < planned.actions.length; i++) {
      const action = planned.actions[i]!;
      if (signal.aborted) {
        failMessage = 'aborted before the step finished';
        break;
      }
      if (action.kind === 'reconnect') {
        const replace = action.acceptNewHostKey ? { replaceHostKey: ctx.onHostKeyReplaced } : undefined;
        await session.reconnectUntil(action.timeoutMs, action.delayMs, ctx.clock, signal, replace);
        continue;
      }
      if (action.kind === 'local') {
        const r = await runLocal(action.command, planned.timeoutMs, signal, { FIREBREAK_HOST: session.host.name });
        throttle.push('stdout', Buffer.from(r.stdout));
        throttle.push('stderr', Buffer.from(r.stderr));
        throttle.end();
        execs.push(r);
        if (r.timedOut || r.signal || r.code !== 0) {
          failMessage = `${session.host.name}: on the controller, ${describeExecFailure('hook', r).replace(/^hook: /, '')}`;
          break;
        }
        continue;
      }
      await session.ensureConnected();
      if (action.kind === 'fresh-connection') {
        await probeFreshWithin(session, action.withinMs ?? 0, planned.timeoutMs, ctx.clock, signal).catch(
          (err: unknown) => {
            // Our own session is fine; only a new one fails: that is the step's failure, not unreachability.
            const why = err instanceof Error ? err.message.replace(`${session.host.name}: `, '') : String(err);
            throw new Error(action.onFailure ? `${why}; ${action.onFailure}` : why);
          },
        );
        continue;
      }
      if (action.kind === 'evidence') {
        // This action and the evidence actions right after it: one batch over the connection.
        let end = i + 1;
        while (planned.actions[end]?.kind === 'evidence') end++;
        const store = await ctx.evidence();
        // The host's acquisition record (who it says it is, its clock, the verified host key): once per run.
        if (!store.hasHostRecord(session.host.name))
          store.recordHost(await probeHost(session, Math.min(planned.timeoutMs, 30_000), signal));
        const become = toBecome(planned.become, ctx.becomePassword);
        const items = (planned.actions.slice(i, end) as EvidenceAction[]).map((a, k) => ({
          action: a,
          run: {
            session,
            store,
            step: ctx.stepName,
            // One hung item (a `ps` stuck on a hostile /proc) costs its own timeout, not the whole step's.
            timeoutMs: Math.min(a.timeoutMs ?? planned.timeoutMs, planned.timeoutMs),
            become: a.become ? become : undefined,
            signal,
            spillPrefix: `${ctx.fileBase}-ev${i + k + 1}`,
          },
        }));
        i = end - 1;
        await runEvidenceBatch(items, ctx.evidenceChannels, signal, (ev) => {
          outputs.push(ev.output);
          artifacts.push(ev.artifact);
          ctx.onArtifact(ev.artifact);
          const line = `${ev.artifact.match === false ? 'MISMATCH ' : ''}${ev.artifact.label}  ${ev.artifact.size} bytes  sha256 ${ev.artifact.sha256}  rc=${ev.artifact.rc ?? '?'}\n`;
          evidenceLines.push(line);
          throttle.push('stdout', Buffer.from(line));
          if (ev.problem) evidenceProblems.push(ev.problem);
          // What the command said on stderr (why an artifact is empty, say) belongs to the step's output.
          if (ev.stderr.trim()) evidenceErrors.push(`${ev.artifact.label}: ${ev.stderr.trim()}\n`);
        });
        continue;
      }
      if (action.kind === 'put') {
        await session.t.put(await localSource(ctx, action.localPath), action.remotePath, { mode: action.mode, signal });
      } else if (action.kind === 'get') {
        const local = insideDir(ctx.hostDir, action.localPath);
        mkdirSync(dirname(local), { recursive: true });
        await session.t.get(action.remotePath, local, { signal });
      } else {
        const r = await session.t.exec(action.command, {
          timeoutMs: planned.timeoutMs,
          become: action.become ? toBecome(planned.become, ctx.becomePassword) : undefined,
          ...(action.stdin !== undefined ? { stdin: action.stdin } : {}),
          // A secret in the command (a vaulted value the step uses) stays out of the host's process list.
          ...(ctx.redact(action.command) !== action.command ? { commandOnStdin: true } : {}),
          onStdout: (c) => throttle.push('stdout', c),
          onStderr: (c) => throttle.push('stderr', c),
          spillPrefix: i === firstExec(planned) ? ctx.fileBase : `${ctx.fileBase}-a${i + 1}`,
          maxInMemoryBytes: ctx.limits.maxInMemoryBytes,
          maxFileBytes: ctx.limits.maxFileBytes,
          ...(ctx.redact.stream ? { spillFilter: ctx.redact.stream } : {}),
          signal,
        });
        throttle.end();
        execs.push(r);
        spilled.stdout ??= r.stdoutFile;
        spilled.stderr ??= r.stderrFile;
        const soFar = result();
        if (r.timedOut || r.signal || isFailure(soFar, planned, ctx.judge)) {
          failMessage = signal.aborted
            ? 'aborted: the command was killed'
            : planned.failedWhen !== undefined && !r.timedOut && !r.signal
              ? `${session.host.name}: failed_when is true for \`${r.command}\` (rc=${r.code})`
              : describeExecFailure(session.host.name, r);
          break;
        }
      }
    }
  } catch (err) {
    if (err instanceof ConnectionError)
      return { result: { ...result(), failed: true }, unreachable: err, message: err.message, outputs };
    if (err instanceof EnvironmentError) ctx.stopRun(err);
    failMessage = `${session.host.name}: ${err instanceof Error ? err.message : String(err)}`;
  }

  throttle.end();
  if (evidenceLines.length) {
    // The step's own output is the list of artifacts; the artifacts themselves are in the store.
    execs.push(evidenceSummary(evidenceLines.join(''), evidenceErrors.join('')));
  }
  if (!failMessage && evidenceProblems.length)
    failMessage = `${session.host.name}: evidence problems: ${evidenceProblems.join('; ')}`;
  const r = result();
  if (artifacts.length) r.artifacts = artifacts;
  r.failed = failMessage !== undefined || isFailure(r, planned, ctx.judge);
  if (r.failed && !failMessage) {
    failMessage =
      planned.failedWhen !== undefined
        ? `${session.host.name}: failed_when is true (rc=${r.rc})`
        : `${session.host.name}: failed (rc=${r.rc})`;
  }
  r.changed = !r.failed && planned.changes;
  const files = await writeOutputs(ctx, execs, spilled);
  const capped = cappedOutput(execs, ctx.limits.maxFileBytes);
  return { result: r, message: failMessage, outputs, ...files, ...(capped ? { outputCapped: capped } : {}) };
}

/** "stdout: 3.00 GiB printed, the first 1.00 GiB kept" for the streams whose output file was capped. */
function cappedOutput(execs: ExecResult[], maxFileBytes: number): string | undefined {
  const said = (['stdout', 'stderr'] as const).flatMap((stream) => {
    const total = execs
      .filter((e) => e.capped?.includes(stream))
      .reduce((n, e) => n + (stream === 'stdout' ? e.stdoutBytes : e.stderrBytes), 0);
    return total ? [`${stream}: ${formatBytes(total)} printed, the first ${formatBytes(maxFileBytes)} kept`] : [];
  });
  return said.length ? `output capped (${said.join('; ')}; FIREBREAK_MAX_OUTPUT_BYTES)` : undefined;
}

/** What a new connection may fail with once and work the next time (a lost packet); not a key or a password. */
const TRANSIENT = new Set(['timeout', 'refused', 'closed', 'other']);

/**
 * Open a fresh connection until one gets in or `withinMs` has passed (one try when 0); the attempts
 * and their errors are in the message when none did.
 */
async function probeFreshWithin(
  session: HostSession,
  withinMs: number,
  stepTimeoutMs: number,
  clock: Clock,
  signal: AbortSignal,
): Promise<void> {
  const start = clock.now();
  for (let tries = 1; ; tries++) {
    const left = withinMs - (clock.now() - start);
    try {
      return await session.probeFresh(Math.max(5_000, Math.min(stepTimeoutMs, 30_000, tries > 1 ? left : 30_000)));
    } catch (err) {
      const transient = err instanceof ConnectionError && TRANSIENT.has(err.reason);
      if (!transient || signal.aborted || clock.now() - start + 2_000 >= withinMs) {
        if (tries > 1 && err instanceof Error)
          err.message = `${err.message} (${tries} attempts in ${Math.round((clock.now() - start) / 1000)} s)`;
        throw err;
      }
      await clock.sleep(2_000, signal);
    }
  }
}

/** A pseudo command result carrying the artifact list, so results, journal and output files show it. */
function evidenceSummary(text: string, errors: string): ExecResult {
  return {
    command: 'evidence',
    code: 0,
    signal: null,
    stdout: text,
    stderr: errors,
    stdoutBytes: Buffer.byteLength(text),
    stderrBytes: Buffer.byteLength(errors),
    startedAt: new Date().toISOString(),
    durationMs: 0,
    timedOut: false,
  };
}

function firstExec(planned: PlannedStep): number {
  return planned.actions.findIndex((a) => a.kind === 'exec');
}

function combine(execs: ExecResult[], durationMs: number, attempts: number, headChars: number): RegisteredResult {
  const stdout = execs.map((e) => e.stdout).join('');
  const stderr = execs.map((e) => e.stderr).join('');
  const rc = execs.length === 0 ? 0 : (execs.find((e) => e.code !== 0)?.code ?? 0);
  const cut = (s: string): string => (s.length > headChars ? s.slice(0, headChars) : s);
  return {
    rc,
    stdout: cut(stdout),
    stderr: cut(stderr),
    stdout_lines: lines(cut(stdout)),
    stderr_lines: lines(cut(stderr)),
    signal: execs.find((e) => e.signal)?.signal ?? null,
    timedOut: execs.some((e) => e.timedOut),
    failed: execs.some((e) => e.timedOut || e.code !== 0),
    changed: false,
    skipped: false,
    duration_ms: durationMs,
    attempts,
  };
}

/** The plan names a user; the transport wants a Become with the run's password (never in the plan). */
export function toBecome(user: string | undefined, password: string | undefined): Become {
  return { user: user ?? 'root', method: 'sudo', ...(password !== undefined ? { password } : {}) };
}

function lines(text: string): string[] {
  return text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
}

/** Full outputs go to `<fileBase>.stdout|.stderr` unless the transport already spilled them there. */
/** Asynchronous on purpose: hundreds of small files written synchronously stall every other host's I/O. */
async function writeOutputs(
  ctx: AttemptContext,
  execs: ExecResult[],
  spilled: { stdout?: string; stderr?: string },
): Promise<{ stdoutFile?: string; stderrFile?: string }> {
  const out: { stdoutFile?: string; stderrFile?: string } = {};
  for (const stream of ['stdout', 'stderr'] as const) {
    const key = stream === 'stdout' ? 'stdoutFile' : 'stderrFile';
    const already = spilled[stream];
    if (already) {
      out[key] = relative(ctx.runDir, already);
      continue;
    }
    const text = execs.map((e) => e[stream]).join('');
    if (!text) continue;
    const path = `${ctx.fileBase}.${stream}`;
    await writeCreatingDir(path, ctx.redact(text));
    out[key] = relative(ctx.runDir, path);
  }
  return out;
}

/** The host's directory is made by its first file: not one mkdir per output file (hundreds per run). */
async function writeCreatingDir(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text, { mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text, { mode: 0o600 });
  }
}

/** A put's `evidence:<sha256>` source is that object of this run's evidence store (restore uploads a backup). */
async function localSource(ctx: AttemptContext, localPath: string): Promise<string> {
  const m = /^evidence:([0-9a-f]{64})$/.exec(localPath);
  if (!m) return localPath;
  const file = await (await ctx.evidence()).objectFile(m[1] as string);
  if (!existsSync(file)) throw new Error(`evidence object ${m[1]} is not in this run's evidence store`);
  return file;
}

/** Resolve a relative path inside `dir`, refusing `..` escapes (a fetch must stay in the run directory). */
export function insideDir(dir: string, rel: string): string {
  const full = resolve(dir, rel);
  if (full !== dir && !full.startsWith(dir + sep))
    throw new Error(`refusing to write outside the host directory: ${rel}`);
  return join(full);
}
