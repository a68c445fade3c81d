/**
 * The whole of one run, wired: a loaded runbook × selected hosts → the executor, with the pure planner
 * for steps and one ssh2 session for the transports. The CLI, the demo, the benchmark and the
 * integration tests all start runs through here, so they behave the same.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  firebreakVersion,
  type EventSink,
  type Host,
  type PhaseName,
  type RunEvent,
  type TransportChoice,
} from '../core/index.js';
import type { CaseRecord } from '../evidence/index.js';
import type { LoadedRunbook, Step } from '../runbook/index.js';
import { killsDispatched, SshSession, type SshOptions } from '../transport/index.js';
import { hostConnections, inventorySpec, type ConnectionFallbacks } from './connections.js';
import { startRun } from './executor.js';
import type { OutputLimits, RemotePhases, ResumePoint, RunHandle, RunbookSpec } from './executor-types.js';
import { hostSnapshot, RUN_INPUTS_FORMAT, SECRET_HOST_VARS, type RunInputs } from './run-inputs.js';
import { selectPhases, type TagFilter } from './planner.js';
import { stepPlanning } from './step-planning.js';

export interface RunRunbookOptions {
  loaded: LoadedRunbook;
  hosts: readonly Host[];
  /** Resolved params (defaults + overrides). */
  params: Record<string, unknown>;
  /** Group name -> host names, for `{{groups.x}}`. */
  groups?: Record<string, string[]>;
  ssh?: SshOptions;
  /** Fallbacks for what the inventory does not say (`--user`, `--private-key`, `--jump`, ansible.cfg's ssh_args). */
  connection?: ConnectionFallbacks;
  /** `--transport` (a host's firebreak_transport beats it); default auto. */
  transport?: TransportChoice;
  /** Warnings found while resolving connections (e.g. no OpenSSH client: ~/.ssh/config unread). */
  onWarning?: (message: string) => void;
  forks?: number;
  /** Evidence commands run at once on one host's connection (default 4). */
  evidenceChannels?: number;
  runsDir?: string;
  sinks?: readonly EventSink[];
  confirm?: (phase: PhaseName, message: string) => Promise<boolean>;
  becomePassword?: string;
  tags?: TagFilter;
  phases?: readonly PhaseName[];
  signal?: AbortSignal;
  outputLimits?: Partial<OutputLimits>;
  /** Files to put into the run directory before the run starts (sealed with it): see RunOptions. */
  prepareRunDir?: (runDir: string) => void;
  /** The case id and examiner the signed manifest names (firebreak's version and the runbook's digest are added). */
  caseRecord?: { caseId?: string; examiner?: string };
  /** Continue this crashed run (firebreak resume): the options above are the ones it was started with. */
  resume?: ResumePoint;
  /** Resumed: the SHA-256 the runbook file had when the run started (the file may have changed since). */
  runbookSha256?: string;
  /** Hosts whose phases run on workers of their network segments (`--nats`), given the run's inputs. */
  remote?: (inputs: RunInputs, journaled?: readonly RunEvent[]) => RemotePhases;
}

/** A run over SSH. */
export interface RunbookHandle extends RunHandle {
  /**
   * Resolves when every remote kill this process asked for so far (abort, timeouts) is on its host,
   * where it then completes without us: a CLI that must exit at once waits for this, briefly.
   */
  killsDispatched(): Promise<void>;
}

export async function runRunbook(o: RunRunbookOptions): Promise<RunbookHandle> {
  const { runbook, dir } = o.loaded;
  const runbookSha256 = o.runbookSha256 ?? fileSha256(o.loaded.file);
  const inputs = runInputs(o, runbookSha256);
  const remote = o.remote?.(inputs, o.resume?.events);
  // Hosts a worker of their segment runs are connected to from there, not from here: no ssh -G for them.
  const local = remote ? o.hosts.filter((h) => !remote.owns(h)) : o.hosts;
  const session = new SshSession(o.ssh);
  const specs = await hostConnections(local, o.connection, {
    ...(o.transport ? { transport: o.transport } : {}),
    ...(o.ssh?.knownHostsFile ? { knownHostsFile: o.ssh.knownHostsFile } : {}),
    ...(o.onWarning ? { warn: o.onWarning } : {}),
  });
  // Only ssh2 reads key files itself (OpenSSH runs in BatchMode with the agent; local hosts need none).
  const ssh2Keys = [...specs.values()].filter((s) => (s.transport ?? 'ssh2') === 'ssh2' && s.privateKeyFile);
  await session.preloadKeys(ssh2Keys.map((s) => s.privateKeyFile as string));
  const phases: RunbookSpec<Step>['phases'] = {};
  for (const { name, phase } of selectPhases(runbook, o.phases)) phases[name] = phase;
  const secrets = [o.becomePassword, ...o.hosts.flatMap((h) => secretVars(h))];
  const handle = startRun<Step>({
    ...(o.resume ? { resume: o.resume } : { inputs }),
    ...(remote ? { remote } : {}),
    runbook: { name: runbook.name, phases },
    hosts: o.hosts,
    forks: o.forks,
    ...(o.evidenceChannels !== undefined ? { evidenceChannels: o.evidenceChannels } : {}),
    runsDir: o.runsDir,
    sinks: o.sinks,
    confirm: o.confirm,
    signal: o.signal,
    becomePassword: o.becomePassword,
    secrets,
    outputLimits: o.outputLimits,
    ...(o.prepareRunDir ? { prepareRunDir: o.prepareRunDir } : {}),
    evidence: { caseRecord: caseRecordOf(o, runbookSha256) },
    transportFor: (host) => session.transport(specs.get(host.name) ?? inventorySpec(host, o.connection)),
    ...stepPlanning({
      params: o.params,
      runbookDir: dir,
      ...(o.groups ? { groups: o.groups } : {}),
      ...(o.tags ? { tags: o.tags } : {}),
    }),
  });
  handle.done.finally(() => session.close()).catch(() => {});
  return { ...handle, killsDispatched };
}

/** Inventory secrets (ssh and become passwords, vaulted values) a host carries, so the journal can redact them. */
function secretVars(host: Host): string[] {
  return [...SECRET_HOST_VARS, ...(host.vaultedVars ?? [])].flatMap((k) => secretStrings(host.vars[k]));
}

/** The strings and numbers inside a secret value (a vaulted mapping holds several). */
function secretStrings(v: unknown): string[] {
  if (typeof v === 'string' || typeof v === 'number') return [String(v)];
  if (v && typeof v === 'object') return Object.values(v).flatMap(secretStrings);
  return [];
}

/** SHA-256 of the runbook file's bytes; none for a runbook given as an object (tests, the API). */
function fileSha256(file: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
}

/** What `resume` needs to plan the rest of the run as this one plans it (never a secret). */
function runInputs(o: RunRunbookOptions, sha256: string | undefined): RunInputs {
  const ssh = o.ssh ?? {};
  return {
    format: RUN_INPUTS_FORMAT,
    firebreakVersion: firebreakVersion(),
    runbook: { file: o.loaded.file, ...(sha256 ? { sha256 } : {}), dir: o.loaded.dir, loaded: { ...o.loaded.runbook } },
    params: o.params,
    hosts: o.hosts.map(hostSnapshot),
    ...(o.groups ? { groups: o.groups } : {}),
    options: {
      ...(o.forks !== undefined ? { forks: o.forks } : {}),
      ...(o.evidenceChannels !== undefined ? { evidenceChannels: o.evidenceChannels } : {}),
      ...(o.tags?.tags?.length ? { tags: [...o.tags.tags] } : {}),
      ...(o.tags?.skipTags?.length ? { skipTags: [...o.tags.skipTags] } : {}),
      ...(o.phases ? { phases: [...o.phases] } : {}),
      ...(o.outputLimits ? { outputLimits: { ...o.outputLimits } } : {}),
      ssh: {
        ...(ssh.knownHostsFile ? { knownHostsFile: path.resolve(ssh.knownHostsFile) } : {}),
        ...(ssh.acceptNew !== undefined ? { acceptNew: ssh.acceptNew } : {}),
        ...(ssh.connectTimeoutMs !== undefined ? { connectTimeoutMs: ssh.connectTimeoutMs } : {}),
        ...(ssh.keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs: ssh.keepaliveIntervalMs } : {}),
        ...(ssh.maxHandshakesPerTarget !== undefined ? { maxHandshakesPerTarget: ssh.maxHandshakesPerTarget } : {}),
        ...(ssh.inventoryMayWeakenHostKeys !== undefined
          ? { inventoryMayWeakenHostKeys: ssh.inventoryMayWeakenHostKeys }
          : {}),
      },
      connection: {
        ...(o.connection?.user ? { user: o.connection.user } : {}),
        ...(o.connection?.privateKeyFile ? { privateKeyFile: path.resolve(o.connection.privateKeyFile) } : {}),
        ...(o.connection?.jump ? { jump: [...o.connection.jump] } : {}),
        ...(o.connection?.sshArgs ? { sshArgs: o.connection.sshArgs } : {}),
      },
      ...(o.caseRecord ? { caseRecord: { ...o.caseRecord } } : {}),
      ...(o.transport ? { transport: o.transport } : {}),
    },
  };
}

/** What the manifest says of the case: the caller's id and examiner, this firebreak, the runbook's bytes. */
function caseRecordOf(o: RunRunbookOptions, sha256: string | undefined): CaseRecord {
  const runbook = sha256 ? { file: o.loaded.file, sha256 } : undefined;
  return { ...o.caseRecord, firebreakVersion: firebreakVersion(), ...(runbook ? { runbook } : {}) };
}
