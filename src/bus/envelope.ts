/**
 * What crosses the bus, checked on arrival: a work unit (one host's phase) from the controller to a
 * segment's workers, and envelopes from workers back to the controller (run events, evidence and
 * output files in the object store, the host's acquisition record, the host-phase's result).
 * Never a secret: hosts travel as journaled (secret variables left out), events are redacted by the
 * worker before they leave it.
 */
import { z } from 'zod';
import { PHASES, type PhaseName } from '../core/index.js';
import type { HostRecord } from '../evidence/index.js';
import type { EventInput, HostPhaseResult } from '../engine/host-runner.js';

export const WORK_FORMAT = 1;

const record = z.record(z.string(), z.unknown());

export const workUnitSchema = z.object({
  format: z.literal(WORK_FORMAT),
  runId: z.string().min(1),
  segment: z.string().min(1),
  host: z.object({
    name: z.string().min(1),
    vars: record,
    groups: z.array(z.string()),
    vaultedVars: z.array(z.string()).optional(),
  }),
  phase: z.enum(PHASES),
  /** 1-based indexes of the phase's steps in the whole runbook. */
  indexes: z.array(z.number().int().positive()),
  /** What the host registered in earlier phases. */
  registered: record,
  /** A copy the controller sent because no worker claimed the first (2, 3…): it never takes over a claim… */
  copy: z.number().int().min(2).optional(),
  /** …but this one: the claim at this KV revision, whose worker the controller heard nothing from for twice the ack wait. */
  takeover: z.number().int().positive().optional(),
});
export type WorkUnit = z.infer<typeof workUnitSchema>;

/** The original input of an artifact, for the controller's store (which hashes the object again). */
export interface RelayedArtifactInput {
  host: string;
  step: string;
  source: { kind: string; value: string };
  sha256AtSource: string | null;
  acquisition?: Record<string, unknown>;
}

/** Who relayed: the worker process, its machine, its segment. */
export interface WorkerId {
  name: string;
  user: string;
  machine: string;
  segment: string;
}

/** Every envelope names its worker and the host-phase it belongs to. */
export type Envelope = { id: string; worker: WorkerId; host: string; phase: PhaseName } & (
  | { kind: 'event'; event: EventInput }
  | {
      kind: 'evidence';
      /** The artifact id the worker gave it; the controller's store gives the real one. */
      ref: string;
      object: string;
      size: number;
      input: RelayedArtifactInput;
    }
  | { kind: 'file'; path: string; object: string; size: number }
  | { kind: 'host-record'; record: HostRecord }
  | { kind: 'result'; state: HostPhaseResult; registered: Record<string, unknown> }
);

const envelopeHead = z.object({
  id: z.string().min(1),
  worker: z.object({ name: z.string(), user: z.string(), machine: z.string(), segment: z.string() }),
  host: z.string().min(1),
  phase: z.enum(PHASES),
  kind: z.enum(['event', 'evidence', 'file', 'host-record', 'result']),
});

/** An envelope read from the events stream; only its head is checked (workers are authenticated peers). */
export function parseEnvelope(data: Uint8Array): Envelope {
  const value: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
  envelopeHead.parse(value);
  return value as Envelope;
}

export function parseWorkUnit(data: Uint8Array): WorkUnit {
  return workUnitSchema.parse(JSON.parse(Buffer.from(data).toString('utf8')));
}
