/**
 * Test doubles for executor unit tests only: an in-memory Transport with scripted command replies and
 * connection faults, a clock that never sleeps, a recording sink and a tiny runbook/planner with a tiny
 * condition language. Integration tests use real sshd instead.
 */
import {
  ConnectionError,
  type ExecOptions,
  type ExecResult,
  type Host,
  type RunEvent,
  type Transport,
} from '../../src/core/index.js';
import type {
  AnalyzeFn,
  Clock,
  Condition,
  EvaluateFn,
  PlannedStep,
  PlanStepFn,
  RunOptions,
} from '../../src/engine/executor-types.js';
// Runs seal at the end and record their signing key: keep that out of the real keyring.
import '../helpers/keyring.js';

/** What a scripted command does. */
export interface Reply {
  code?: number | null;
  stdout?: string;
  stderr?: string;
  /** Never ends on its own: only the timeout or the abort signal ends it. */
  hang?: boolean;
  /** The connection drops while the command runs. */
  drop?: boolean;
  /** Report the command as killed by the step timeout. */
  timedOut?: boolean;
}

export interface HostScript {
  /** command → reply, or a function of the call number (1-based) for retries. */
  replies?: Record<string, Reply | ((call: number) => Reply)>;
  /** Connect attempts that fail before one succeeds (Infinity: never). */
  connectFailures?: number;
  /** Every connect after the first successful one fails (a host that went away for good). */
  failReconnects?: boolean;
  /** Fresh connections (every transport after the host's first) that fail to connect before one works. */
  freshFailures?: number;
  /** Drop the connection after this many exec calls (simulates a drop between steps). */
  dropAfterExecs?: number;
}

export class FakeTransport implements Transport {
  connected = false;
  connects = 0;
  closes = 0;
  readonly execs: string[] = [];
  readonly options: ExecOptions[] = [];
  private readonly calls = new Map<string, number>();
  private connectFailuresLeft: number;
  private everUp = false;

  constructor(
    readonly host: string,
    private readonly script: HostScript,
    private readonly log: string[],
  ) {
    this.connectFailuresLeft = script.connectFailures ?? 0;
  }

  async connect(): Promise<void> {
    this.connects++;
    await Promise.resolve();
    if (this.script.failReconnects && this.everUp) throw new ConnectionError(this.host, 'connect ETIMEDOUT', 'timeout');
    if (this.connectFailuresLeft > 0) {
      this.connectFailuresLeft--;
      throw new ConnectionError(this.host, 'connect ECONNREFUSED 127.0.0.9:22', 'refused');
    }
    this.connected = true;
    this.everUp = true;
  }

  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    if (!this.connected) throw new ConnectionError(this.host, 'not connected', 'closed');
    this.execs.push(command);
    this.options.push(options);
    this.log.push(`${this.host}:${command}`);
    const n = (this.calls.get(command) ?? 0) + 1;
    this.calls.set(command, n);
    const entry = this.script.replies?.[command];
    const reply: Reply =
      typeof entry === 'function' ? entry(n) : (entry ?? { code: 0, stdout: `${command} on ${this.host}\n` });
    const base = {
      command,
      signal: null,
      stdoutBytes: 0,
      stderrBytes: 0,
      startedAt: new Date(0).toISOString(),
      durationMs: 1,
      timedOut: false,
    };
    if (reply.drop) {
      this.connected = false;
      throw new ConnectionError(this.host, 'connection lost', 'closed');
    }
    if (reply.timedOut)
      return {
        ...base,
        code: null,
        signal: 'KILL',
        stdout: '',
        stderr: '',
        timedOut: true,
        durationMs: options.timeoutMs,
      };
    if (reply.hang) {
      // Ends only by abort (the fake never waits real time for the timeout): report a kill like ssh would.
      await new Promise<void>((resolve) => {
        if (options.signal?.aborted) return resolve();
        options.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      return { ...base, code: null, signal: 'TERM', stdout: '', stderr: '' };
    }
    const stdout = reply.stdout ?? '';
    const stderr = reply.stderr ?? '';
    if (options.stdoutToFile && options.spillPrefix) {
      // An evidence command: stdout goes raw to the spill file only, as the ssh transport does it.
      const { mkdirSync, writeFileSync } = await import('node:fs');
      const { dirname } = await import('node:path');
      const stdoutFile = `${options.spillPrefix}.stdout`;
      mkdirSync(dirname(stdoutFile), { recursive: true });
      writeFileSync(stdoutFile, stdout, { mode: 0o600 });
      return { ...base, code: reply.code ?? 0, stdout: '', stderr, stdoutFile, stdoutBytes: stdout.length };
    }
    if (stdout) options.onStdout?.(Buffer.from(stdout));
    if (stderr) options.onStderr?.(Buffer.from(stderr));
    await Promise.resolve();
    if (this.script.dropAfterExecs !== undefined && this.execs.length >= this.script.dropAfterExecs) {
      this.script.dropAfterExecs = undefined;
      this.connected = false;
    }
    return {
      ...base,
      code: reply.code === undefined ? 0 : reply.code,
      stdout,
      stderr,
      stdoutBytes: stdout.length,
      stderrBytes: stderr.length,
    };
  }

  async put(localPath: string, remotePath: string): Promise<{ bytes: number; durationMs: number }> {
    this.log.push(`${this.host}:put ${localPath} ${remotePath}`);
    return { bytes: 1, durationMs: 1 };
  }

  async get(remotePath: string, localPath: string): Promise<{ bytes: number; durationMs: number }> {
    this.log.push(`${this.host}:get ${remotePath} ${localPath}`);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(localPath, `content of ${remotePath}`);
    return { bytes: 1, durationMs: 1 };
  }

  async close(): Promise<void> {
    this.closes++;
    this.connected = false;
  }
}

/** A fleet of fake transports, one per host, created on demand by the executor. */
export class FakeFleet {
  readonly transports = new Map<string, FakeTransport>();
  readonly log: string[] = [];
  /** Fresh connections opened per host (transports after the first). */
  readonly fresh = new Map<string, number>();
  constructor(private readonly scripts: Record<string, HostScript> = {}) {}
  factory = (host: Host): Transport => {
    const script = this.scripts[host.name] ?? {};
    const first = !this.transports.has(host.name);
    const n = first ? 0 : (this.fresh.get(host.name) ?? 0) + 1;
    if (!first) this.fresh.set(host.name, n);
    const failing = !first && n <= (script.freshFailures ?? 0);
    const t = new FakeTransport(host.name, failing ? { ...script, connectFailures: 1 } : script, this.log);
    this.transports.set(host.name, t);
    return t;
  };
}

/** Time advances 1 ms per now() call and by the full amount on sleep(); nothing waits. */
export function fakeClock(start = Date.UTC(2024, 0, 31, 10, 15, 0)): Clock & { slept: number[] } {
  let t = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => t++,
    sleep: async (ms) => {
      slept.push(ms);
      t += ms;
      await Promise.resolve();
    },
  };
}

export class Recorder {
  readonly events: RunEvent[] = [];
  emit(e: RunEvent): void {
    this.events.push(e);
  }
  of<T extends RunEvent['type']>(type: T): Extract<RunEvent, { type: T }>[] {
    return this.events.filter((e) => e.type === type) as Extract<RunEvent, { type: T }>[];
  }
}

export function hosts(...names: string[]): Host[] {
  return names.map((name) => ({ name, vars: {}, groups: [] }));
}

/** A fake runbook step: a command plus the planner knobs the executor honours. */
export interface FakeStep {
  name: string;
  cmd?: string;
  /** Several commands in one step. */
  cmds?: string[];
  actions?: PlannedStep['actions'];
  when?: (registered: Readonly<Record<string, unknown>>, host: string) => boolean;
  retries?: number;
  delayMs?: number;
  /** In fakeEvaluate's language. */
  until?: Condition;
  register?: string;
  ignoreErrors?: boolean;
  /** In fakeEvaluate's language. */
  failedWhen?: Condition;
  changes?: boolean;
  timeoutMs?: number;
  /** Make planning throw. */
  planError?: string;
  /** What resume may do with it when a crash caught it running (see PlannedStep). */
  rerunSafe?: boolean;
  verify?: string;
  /** An `end_host` step: the host's run ends once it ran. */
  endHost?: PlannedStep['endHost'];
}

export const fakePlanStep: PlanStepFn<FakeStep> = (s, ctx) => {
  if (s.planError) throw new Error(s.planError);
  const skip = s.when && !s.when(ctx.registered, ctx.host.name) ? 'when is false' : undefined;
  return {
    name: s.name,
    type: 'fake',
    ...(skip ? { skip } : {}),
    actions: s.actions ?? (s.cmds ?? [s.cmd ?? s.name]).map((command) => ({ kind: 'exec' as const, command })),
    timeoutMs: s.timeoutMs ?? 60_000,
    retries: s.retries ?? 0,
    delayMs: s.delayMs ?? 0,
    ...(s.until !== undefined ? { until: s.until } : {}),
    ...(s.register ? { register: s.register } : {}),
    ignoreErrors: s.ignoreErrors ?? false,
    ...(s.failedWhen !== undefined ? { failedWhen: s.failedWhen } : {}),
    changes: s.changes ?? false,
    ...(s.rerunSafe ? { rerunSafe: true } : {}),
    ...(s.verify !== undefined ? { verify: s.verify } : {}),
    ...(s.endHost ? { endHost: s.endHost } : {}),
  };
};

/** A one-phase (collect) run of `steps` over the fake fleet into `runsDir`: fake clock, no fsync; `extra` adds or overrides. */
export function collectRun(
  o: { fleet: FakeFleet; runsDir: string; name: string; hosts: string[]; steps: FakeStep[] },
  extra: Partial<RunOptions<FakeStep>> = {},
): RunOptions<FakeStep> {
  return {
    runbook: { name: o.name, phases: { collect: { steps: o.steps } } },
    hosts: hosts(...o.hosts),
    ...fakePlanner,
    transportFor: o.fleet.factory,
    runsDir: o.runsDir,
    clock: fakeClock(),
    fsync: false,
    ...extra,
  };
}

/**
 * A tiny condition language over what the real evaluator sees (registered values, `result`, the
 * result under the register name): `result.rc > 1`, `result.stdout contains ready`, `p.stdout == yes`,
 * or a boolean. Anything else throws, as a template error would.
 */
export const fakeEvaluate: EvaluateFn = (condition, s) => {
  if (typeof condition === 'boolean') return condition;
  const m = /^(\w+)\.(\w+) (>|==|contains) (.*)$/.exec(condition);
  if (!m) throw new Error(`step "${s.step}": ${s.field}: cannot read "${condition}"`);
  const [, name = '', field = '', op, want = ''] = m;
  const vars: Record<string, unknown> = {
    ...s.registered,
    result: s.result,
    ...(s.register ? { [s.register]: s.result } : {}),
  };
  const got = (vars[name] as Record<string, unknown> | undefined)?.[field];
  if (op === '>') return Number(got) > Number(want);
  return op === '==' ? String(got) === want : String(got).includes(want);
};

/** Fake plans carry no analysis; a call means the executor analysed a step it should not have. */
export const fakeAnalyze: AnalyzeFn = (planned) => {
  throw new Error(`fakeAnalyze called for ${planned.name}`);
};

/** The fake planner with its run-time half, to spread into RunOptions. */
export const fakePlanner = { planStep: fakePlanStep, evaluate: fakeEvaluate, analyze: fakeAnalyze };
