/**
 * One work unit on a worker: one host through one phase, on one SSH connection, with the engine's own
 * host runner. What makes it safe to deliver twice: the claim (a host-phase the controller gave up on
 * is dropped), the step records (steps that ended are not run again, the one a dead worker left
 * running is decided by its verify), deterministic ids on what may be published twice.
 */
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import type { Host, Transport } from '../core/index.js';
import { DEFAULT_EVIDENCE_CHANNELS } from '../engine/evidence-batch.js';
import { DEFAULT_OUTPUT_LIMITS, systemClock } from '../engine/executor.js';
import { runHostPhase, type HostPhaseResult, type HostRunContext } from '../engine/host-runner.js';
import { hostDir } from '../engine/run-dir.js';
import { HostSession } from '../engine/session.js';
import { hashFile } from '../evidence/index.js';
import { createRedactor } from '../journal/index.js';
import type { Bus } from './resources.js';
import type { WorkerId, WorkUnit } from './envelope.js';
import { claimKey, eventsSubject } from './names.js';
import { EnvelopePublisher } from './publisher.js';
import { RelayedEvidence, removeWorkDir } from './relay-evidence.js';
import { isConflict, retryBus } from './retry.js';
import { HostStepRecords } from './step-records.js';
import type { WorkerPlan } from './worker-plan.js';

export interface WorkUnitJob {
  bus: Bus;
  plan: WorkerPlan;
  unit: WorkUnit;
  /** Which delivery of the unit this is (1 = first). */
  delivery: number;
  worker: WorkerId;
  /** Makes a host's transport (resolving its connection may need the ssh config: async). */
  transportFor: (host: Host) => Promise<Transport>;
  becomePassword?: string;
  /** The worker's scratch directory for this run. */
  workDir: string;
  /** Aborted when the controller aborts the run or the worker stops: running commands are killed. */
  signal: AbortSignal;
  /** True once the controller stops the run (max-fail, a refused confirmation): no next step. */
  stopping: () => boolean;
}

/** `dropped`: the controller gave up on this host-phase before any worker claimed it. */
export async function runWorkUnit(job: WorkUnitJob): Promise<'done' | 'dropped'> {
  const { bus, unit, plan } = job;
  const host = unit.host as Host;
  if (!(await claim(job))) return 'dropped';
  const secrets = [job.becomePassword];
  const redact = createRedactor([...secrets, ...secrets.flatMap((x) => (x ? [JSON.stringify(x).slice(1, -1)] : []))]);
  const publisher = new EnvelopePublisher(
    bus.js,
    eventsSubject(unit.runId),
    unit.runId,
    host.name,
    unit.phase,
    job.delivery,
    job.worker,
    redact,
  );
  const records = await HostStepRecords.load({
    kv: bus.steps,
    runId: unit.runId,
    host: host.name,
    phase: unit.phase,
    indexes: unit.indexes,
    worker: job.worker.name,
    delivery: job.delivery,
    flush: () => publisher.flush(),
  });
  republishEnded(publisher, records, unit);
  const failed = records.failedBefore();
  let state: HostPhaseResult;
  const registered = { ...unit.registered };
  if (failed) {
    // A dead worker recorded the failing step and died before ending the host-phase: end it as it ended.
    publisher.event({
      type: 'host.failed',
      host: host.name,
      phase: unit.phase,
      step: failed.name,
      message: failed.outcome.message ?? `${host.name}: step failed`,
    });
    publisher.event({ type: 'host.finished', host: host.name, phase: unit.phase, state: 'failed' });
    state = 'failed';
  } else {
    const transport = await job.transportFor(host);
    const session = new HostSession(host, () => transport);
    const evidence = new RelayedEvidence(job.workDir, bus.objects, publisher, job.worker);
    const all = plan.steps.get(unit.phase) ?? [];
    const steps = all.filter((s) => unit.indexes.includes(s.index));
    if (steps.length !== unit.indexes.length)
      throw new Error(`the controller's step numbering for ${unit.phase} differs from this worker's`);
    const o = plan.inputs.options;
    const local = new AbortController();
    const onAbort = (): void => local.abort(job.signal.reason);
    job.signal.addEventListener('abort', onAbort, { once: true });
    const ctx: HostRunContext<(typeof steps)[number]['step']> = {
      host,
      session,
      registered,
      ...plan.planning,
      emit: (e) => publisher.event(e),
      clock: systemClock,
      signal: local.signal,
      stopping: () => job.stopping() || local.signal.aborted,
      // What would stop a run on the controller (its disk full) stops this host-phase here.
      stop: (reason) => local.abort(reason),
      limits: { ...DEFAULT_OUTPUT_LIMITS, ...(o.outputLimits as object | undefined) },
      redact,
      runDir: job.workDir,
      runId: unit.runId,
      ...(job.becomePassword !== undefined ? { becomePassword: job.becomePassword } : {}),
      evidence: () => Promise.resolve(evidence),
      evidenceChannels: Math.max(1, Math.floor(o.evidenceChannels ?? DEFAULT_EVIDENCE_CHANNELS)),
      position: records.position(),
      record: records,
    };
    try {
      state = await runHostPhase(ctx, unit.phase, steps);
    } finally {
      job.signal.removeEventListener('abort', onAbort);
      await session.close().catch(() => undefined);
    }
    await relayOutputFiles(job, publisher, host.name);
  }
  publisher.send(publisher.resultId(), { kind: 'result', state, registered });
  await publisher.flush();
  removeWorkDir(hostDir(job.workDir, host.name));
  return 'done';
}

/**
 * Take the host-phase: a first claim, or a takeover from a worker that died (or from this worker's
 * own earlier delivery). A claim the controller made means it stopped waiting: the unit is dropped.
 */
async function claim(job: WorkUnitJob): Promise<boolean> {
  const key = claimKey(job.unit.runId, job.unit.host.name, job.unit.phase);
  const mine = JSON.stringify({ by: 'worker', worker: job.worker.name, delivery: job.delivery });
  for (let tries = 0; tries < 5; tries++) {
    const entry = await retryBus('reading a claim', () => job.bus.steps.get(key));
    const held = entry && entry.operation === 'PUT' ? entry.json<{ by: string; worker?: string }>() : undefined;
    if (held?.by === 'controller') return false;
    // A first delivery while another worker holds the claim: the other copy got there first (JetStream
    // redelivers, delivery > 1, only after its ack wait ran out) — unless the controller sent this one
    // to take over exactly that claim, whose worker went silent.
    const takeover = job.unit.takeover !== undefined && entry?.revision === job.unit.takeover;
    if (held && job.delivery === 1 && held.worker !== job.worker.name && !takeover) return false;
    try {
      await retryBus('claiming a host-phase', () =>
        entry && held ? job.bus.steps.update(key, mine, entry.revision) : job.bus.steps.create(key, mine),
      );
      return true;
    } catch (err) {
      if (!isConflict(err)) throw err;
      // someone claimed it in between (or our own write's answer was lost): read again
      const now = await retryBus('reading a claim', () => job.bus.steps.get(key));
      if (now && Buffer.from(now.value).toString('utf8') === mine) return true;
    }
  }
  throw new Error(`cannot claim ${job.unit.host.name}/${job.unit.phase}: its claim keeps changing`);
}

/** Ends recorded before this delivery, published again with their ids: stored once, never lost. */
function republishEnded(publisher: EnvelopePublisher, records: HostStepRecords, unit: WorkUnit): void {
  for (const s of records.endedSteps()) {
    if ('skipped' in s)
      publisher.event({
        type: 'step.skipped',
        host: unit.host.name,
        phase: s.phase,
        step: s.name,
        index: s.index,
        reason: s.skipped,
      });
    else
      publisher.event({
        type: 'step.finished',
        host: unit.host.name,
        phase: s.phase,
        step: s.name,
        index: s.index,
        outcome: s.outcome,
      });
  }
}

/** The host's output files (full step outputs) go to the controller's run directory, by object. */
async function relayOutputFiles(job: WorkUnitJob, publisher: EnvelopePublisher, host: string): Promise<void> {
  const dir = hostDir(job.workDir, host);
  if (!existsSync(dir)) return;
  for (const file of walk(dir)) {
    const { sha256, size } = await hashFile(file);
    if (!(await job.bus.objects.info(sha256)))
      await job.bus.objects.put({ name: sha256 }, Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>);
    publisher.send(undefined, {
      kind: 'file',
      path: relative(job.workDir, file),
      object: sha256,
      size,
    });
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? walk(p) : d.isFile() ? [p] : [];
  });
}
