/**
 * Injecting a drill's faults into lab hosts, on schedule: before the run, when a phase starts (the
 * injector is an EventSink on the run), or T seconds after the run started. `kill-sshd-mid-step` is
 * armed at its time and fires when its host next starts a step. Every fault is healed after `for`
 * seconds, or when the run ends, so the hypothesis after the run measures the runbook, not the faults.
 * A fault this machine cannot make (`slow` without tc netem) is recorded as not injectable.
 */
import { EnvironmentError, type EventSink, type RunEvent } from '../core/index.js';
import { applyFault, findHost, inHost, readLabState, type Fault } from '../lab/index.js';
import type { FaultPlan } from './assign.js';
import { formatWhen, type FaultSpec } from './schema.js';
import type { FaultLogEntry } from './score/index.js';

/** How long after a step started `kill-sshd-mid-step` strikes: long enough for the command to be running. */
export const MID_STEP_DELAY_MS = 300;

const HANG_MARK = 'firebreak drill: hang-command fault';

/** The value shown with a fault: `300ms`, `30%`, `ss`. */
export function faultValue(spec: FaultSpec): string | undefined {
  if (spec.kind === 'slow') return `${spec.ms}ms`;
  if (spec.kind === 'flaky') return `${spec.pct}%`;
  if (spec.kind === 'hang-command') return spec.command;
  return undefined;
}

/** A wrapper earlier in PATH (root's PATH starts with /usr/local/sbin) that sleeps instead of running. */
function hangScript(command: string): string {
  const path = `/usr/local/sbin/${command}`;
  return (
    `[ ! -e ${path} ] || grep -q '${HANG_MARK}' ${path} || { echo "${path} exists and is not ours" >&2; exit 1; }\n` +
    `printf '#!/bin/sh\\n# ${HANG_MARK}\\nexec sleep 3600\\n' > ${path} && chmod 755 ${path}`
  );
}

function unhangScript(command: string): string {
  const path = `/usr/local/sbin/${command}`;
  return `if grep -q '${HANG_MARK}' ${path} 2>/dev/null; then rm -f ${path}; fi`;
}

/** Kill sshd and every session it serves (the runner's own connection included), by PID inside the host. */
async function killSshd(dir: string, name: string): Promise<void> {
  const host = findHost(readLabState(dir), name);
  const kids = await inHost(host.initPid, '[ -s /run/sshd.pid ] && pgrep -P "$(cat /run/sshd.pid)" || true');
  await applyFault(dir, name, { kind: 'down' });
  const pids = kids.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p));
  if (pids.length) await inHost(host.initPid, `kill -9 ${pids.join(' ')} 2>/dev/null; true`);
}

async function inject(dir: string, host: string, spec: FaultSpec): Promise<void> {
  switch (spec.kind) {
    case 'down':
    case 'up':
      await applyFault(dir, host, { kind: spec.kind });
      return;
    case 'slow':
      await applyFault(dir, host, { kind: 'slow', ms: spec.ms });
      return;
    case 'flaky':
      await applyFault(dir, host, { kind: 'flaky', pct: spec.pct });
      return;
    case 'kill-sshd-mid-step':
      return killSshd(dir, host);
    case 'hang-command': {
      const r = await inHost(findHost(readLabState(dir), host).initPid, hangScript(spec.command));
      if (r.code !== 0) throw new Error(`could not make ${spec.command} hang: ${r.stderr.trim()}`);
    }
  }
}

async function heal(dir: string, host: string, spec: FaultSpec): Promise<void> {
  const reset: Fault | undefined =
    spec.kind === 'down' || spec.kind === 'kill-sshd-mid-step'
      ? { kind: 'up' }
      : spec.kind === 'slow'
        ? { kind: 'slow', ms: 0 }
        : spec.kind === 'flaky'
          ? { kind: 'flaky', pct: 0 }
          : undefined;
  if (reset) await applyFault(dir, host, reset);
  if (spec.kind === 'hang-command') await inHost(findHost(readLabState(dir), host).initPid, unhangScript(spec.command));
}

/** Why a fault's moment never came. */
function whyNotTriggered(s: Slot, armed: boolean): string {
  const w = s.plan.spec.when;
  if (armed) return `${s.entry.host} started no step after the fault was armed`;
  if (w.at === 'phase') return `phase ${w.phase} never started`;
  if (w.at === 'after') return `the run ended before ${w.seconds} s`;
  return 'the run never started';
}

interface Slot {
  plan: FaultPlan;
  entry: FaultLogEntry;
  healed: boolean;
}

export class FaultInjector implements EventSink {
  private readonly slots: Slot[];
  private readonly pending = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Host → kill-sshd-mid-step slots waiting for the host's next step. */
  private readonly armed = new Map<string, Slot[]>();
  private firedPhases = new Set<string>();

  constructor(
    private readonly labDir: string,
    plans: readonly FaultPlan[],
    private readonly say: (line: string) => void = () => undefined,
  ) {
    this.slots = plans.flatMap((plan) =>
      plan.hosts.map((host) => {
        const value = faultValue(plan.spec);
        const entry: FaultLogEntry = {
          index: plan.index,
          kind: plan.spec.kind,
          host,
          when: formatWhen(plan.spec.when),
          ...(value ? { value } : {}),
          status: 'not-triggered',
        };
        return { plan, entry, healed: false };
      }),
    );
  }

  /** The fault log so far (every planned fault × host, in plan order). */
  get entries(): FaultLogEntry[] {
    return this.slots.map((s) => s.entry);
  }

  /** Inject (or arm) the faults scheduled `before`; resolves when they are in place. */
  async injectBefore(): Promise<void> {
    this.trigger(this.slots.filter((s) => s.plan.spec.when.at === 'before'));
    await this.settle();
  }

  emit(e: RunEvent): void {
    if (e.type === 'run.started') {
      for (const s of this.slots) {
        const w = s.plan.spec.when;
        if (w.at !== 'after') continue;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.trigger([s]);
        }, w.seconds * 1000);
        this.timers.add(timer);
      }
    } else if (e.type === 'phase.started' && !this.firedPhases.has(e.phase)) {
      this.firedPhases.add(e.phase);
      this.trigger(
        this.slots.filter(
          (s) => s.plan.spec.when.at === 'phase' && (s.plan.spec.when as { phase: string }).phase === e.phase,
        ),
      );
    } else if (e.type === 'step.started') {
      const waiting = this.armed.get(e.host);
      if (!waiting?.length) return;
      this.armed.delete(e.host);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        for (const s of waiting) this.track(this.fire(s));
      }, MID_STEP_DELAY_MS);
      this.timers.add(timer);
    }
  }

  /** Wait for injections and heals under way. */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** Stop every timer, wait for what is under way, heal what is still in place. */
  async healAll(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const armed = new Set([...this.armed.values()].flat());
    this.armed.clear();
    await this.settle();
    for (const s of this.slots.filter((x) => x.entry.status === 'not-triggered'))
      s.entry.message ??= whyNotTriggered(s, armed.has(s));
    await Promise.all(this.slots.filter((s) => s.entry.status === 'injected' && !s.healed).map((s) => this.heal(s)));
  }

  private trigger(slots: readonly Slot[]): void {
    for (const s of slots) {
      if (s.plan.spec.kind === 'kill-sshd-mid-step')
        this.armed.set(s.entry.host, [...(this.armed.get(s.entry.host) ?? []), s]);
      else this.track(this.fire(s));
    }
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private async fire(s: Slot): Promise<void> {
    const { entry, plan } = s;
    const at = new Date().toISOString();
    try {
      await inject(this.labDir, entry.host, plan.spec);
      Object.assign(entry, { status: 'injected', injectedAt: at });
      this.say(`fault ${entry.kind}${entry.value ? ` ${entry.value}` : ''} on ${entry.host} (${entry.when}): injected`);
      if (plan.spec.for !== undefined) {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.track(this.heal(s));
        }, plan.spec.for * 1000);
        this.timers.add(timer);
      }
    } catch (err) {
      const message = (err as Error).message;
      Object.assign(entry, { status: err instanceof EnvironmentError ? 'not-injectable' : 'failed', message });
      this.say(`fault ${entry.kind} on ${entry.host} (${entry.when}): ${entry.status}: ${message}`);
    }
  }

  private async heal(s: Slot): Promise<void> {
    if (s.healed) return;
    s.healed = true;
    try {
      await heal(this.labDir, s.entry.host, s.plan.spec);
      s.entry.healedAt = new Date().toISOString();
    } catch (err) {
      s.entry.message = `healing failed: ${(err as Error).message}`;
    }
  }
}
