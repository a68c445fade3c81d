/**
 * The manifest: every artifact of a run with where it came from, who collected it, when, and its
 * SHA-256 at the source and at rest; since format 2 also the rest of the run directory as it was at
 * sealing (the journal's chain head, step outputs, summary.json, incident metadata). It is written once
 * per `finalize()` and signed over its exact bytes, so readers must verify the bytes on disk, never a
 * re-serialization.
 */
import type { FileMetadata } from '../core/index.js';

/** Where an artifact came from on the host. */
export interface ArtifactSource {
  /** `command`: the output of a command line; `file`: a file fetched from the host. */
  kind: 'command' | 'file';
  /** The command line as run, or the remote path. */
  value: string;
}

/** Who collected: the controller's local user and machine. */
export interface Collector {
  user: string;
  machine: string;
}

/** One manifest entry. Same content twice gives two entries sharing one object. */
export interface Artifact {
  /** Unique within the run, e.g. `ev-000017`; stable across resumes. */
  id: string;
  host: string;
  /** The step that collected it, as the journal names it. */
  step: string;
  source: ArtifactSource;
  /** Bytes at rest. */
  size: number;
  /** Computed by the controller while storing; names the object. */
  sha256AtRest: string;
  /** Computed on the host and passed in by the caller; `null` when the host gave none. */
  sha256AtSource: string | null;
  /** `true` both hashes agree; `false` they differ (the artifact is marked, the step should fail); `null` no source hash. */
  match: boolean | null;
  /** UTC ISO time the collection of this artifact began. */
  collectedAt: string;
  collector: Collector;
  /** How the command that produced it ran, when the engine collected it (absent for direct API use). */
  acquisition?: Acquisition;
  /**
   * Collected by a worker in another network segment and relayed over the bus: the custody path is
   * host → worker → controller. The controller hashed the bytes again (`sha256AtRest`); the worker's
   * hash of the same bytes is kept to show nothing changed on the way.
   */
  relay?: RelayHop;
}

/** The worker an artifact came through. */
export interface RelayHop {
  /** `user@machine` of the worker process. */
  worker: string;
  segment: string;
  /** The SHA-256 the worker computed of what it received from the host. */
  sha256AtWorker: string;
  /** The bus it crossed, and the object's name there. */
  via: 'nats-jetstream';
  object: string;
  /** The envelope that announced it (a re-attached controller does not store it twice). */
  envelope?: string;
}

/** How one artifact was acquired: what a court or an auditor asks beside the bytes. */
export interface Acquisition {
  durationMs: number;
  /** Exit code of the collecting command on the host (`null`: unknown, e.g. killed). */
  exitCode: number | null;
  /** Signal that ended it, if any. */
  signal: string | null;
  timedOut: boolean;
  /** The collector cut the output at a size cap (a `# truncated at N bytes of M` line says where). */
  truncated: boolean;
  /** What the command said on stderr, capped (why an artifact is empty or partial). */
  stderr: string;
  /** Bytes the host counted as it sent the artifact (the artifact's own size is what was stored). */
  bytesAtSource?: number;
  /** The user the command ran as through sudo (absent: as the login user of the host's record). */
  become?: string;
  /**
   * A collected file as the host's stat saw it just before it was read: mode, owner, inode, size (the
   * size expected; the artifact's own size is what was stored) and its times.
   */
  file?: FileMetadata;
}

/** About the whole acquisition: the case, who examined, with what. In the signed manifest. */
export interface CaseRecord {
  /** The incident or case id (`--incident`). */
  caseId?: string;
  /** Who ran the acquisition (`--examiner`, default the controller's user). */
  examiner?: string;
  firebreakVersion?: string;
  /** The runbook as loaded: its path and the SHA-256 of its bytes. */
  runbook?: { file: string; sha256: string };
}

/**
 * A host as firebreak found it when it first collected there: what the host says of itself (read by one
 * read-only command, so a compromised host may lie: the artifacts are the evidence, this is context),
 * the SSH host key that was verified for the connection, and the two clocks side by side.
 */
export interface HostRecord {
  /** Inventory name. */
  host: string;
  /** `type SHA256:…` of the host key verified for the connection (absent when unknown). */
  hostKey?: string;
  /** Login user as the host reports it (`id -un`). */
  user?: string;
  hostname?: string;
  /** `uname -srm`. */
  kernel?: string;
  /** PRETTY_NAME of /etc/os-release. */
  os?: string;
  /** The host's clock (UTC) and the controller's at the same moment (the middle of the probe). */
  hostClock?: string;
  controllerClock: string;
  /** Host clock minus controller clock, in whole seconds (the host reports seconds). */
  clockSkewSeconds?: number;
  /** /etc/timezone or the /etc/localtime link, and the UTC offset (`date +%z`). */
  timezone?: string;
  /** Why the probe said nothing (timeout, exit code), when it did not. */
  error?: string;
}

/** The custody log as it was when the manifest was signed: its first `bytes` bytes hash to `sha256`. */
export interface CustodyDigest {
  bytes: number;
  sha256: string;
}

export interface SigningInfo {
  algorithm: 'ed25519';
  /** SHA-256 (hex) of the public key's DER (SPKI) encoding. */
  publicKeySha256: string;
  /** `run`: a key made for this run, never written; `file`: a key the responder gave. */
  key: 'run' | 'file';
}

/** A file of the run directory outside the evidence store, as it was at sealing (path relative, `/`-separated). */
export interface SealedFile {
  path: string;
  size: number;
  sha256: string;
}

/** The journal at sealing: its bytes, and the hash chain's length and head (see core/journal-chain.ts). */
export interface SealedJournal extends SealedFile {
  lines: number;
  /** SHA-256 of the last line: commits to every line before it through the chain. */
  head: string;
}

/** Seals the run directory too. */
export const MANIFEST_FORMAT = 'firebreak-evidence/2';
/** Older runs: the evidence store only (no `journal`, no `files`); still verified. */
export const MANIFEST_FORMAT_V1 = 'firebreak-evidence/1';

export interface Manifest {
  format: typeof MANIFEST_FORMAT | typeof MANIFEST_FORMAT_V1;
  /** The run directory's name. */
  runId: string;
  /** UTC ISO time of signing. */
  finalizedAt: string;
  finalizedBy: Collector;
  artifacts: Artifact[];
  custody: CustodyDigest;
  signing: SigningInfo;
  /** `null`: the run directory had no journal at sealing. Absent in format 1. */
  journal?: SealedJournal | null;
  /** Every other sealed file, sorted by path; derived files (reports) are not sealed. Absent in format 1. */
  files?: SealedFile[];
  /** The case, the examiner, firebreak's version and the runbook's digest, when the run gave them. */
  case?: CaseRecord;
  /** Every host evidence was collected from, as found (sorted by name). */
  hosts?: HostRecord[];
}

/** Numeric part of an artifact id, for ordering and for continuing the sequence after a resume. */
export function artifactSeq(id: string): number {
  const m = /^ev-(\d+)$/.exec(id);
  return m ? Number(m[1]) : 0;
}

export function artifactId(seq: number): string {
  return `ev-${String(seq).padStart(6, '0')}`;
}

/** The exact bytes that are written and signed. */
export function serializeManifest(manifest: Manifest): Buffer {
  const sorted = {
    ...manifest,
    artifacts: [...manifest.artifacts].sort((a, b) => artifactSeq(a.id) - artifactSeq(b.id)),
  };
  return Buffer.from(JSON.stringify(sorted, null, 2) + '\n', 'utf8');
}

/**
 * Parse manifest bytes without trusting them: returns the artifacts that have the fields a verifier
 * needs, and a list of what is wrong with the rest.
 */
export function parseManifest(bytes: Buffer): {
  manifest?: Partial<Manifest> & { artifacts: Artifact[] };
  errors: string[];
} {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return { errors: [`manifest.json is not JSON: ${(err as Error).message}`] };
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as Manifest).artifacts)) {
    return { errors: ['manifest.json has no artifacts list'] };
  }
  const m = doc as Partial<Manifest> & { artifacts: unknown[] };
  const errors: string[] = [];
  if (m.format !== MANIFEST_FORMAT && m.format !== MANIFEST_FORMAT_V1)
    errors.push(`manifest.json format is ${JSON.stringify(m.format)}, expected ${MANIFEST_FORMAT}`);
  if (m.format === MANIFEST_FORMAT && (!Array.isArray(m.files) || !m.files.every(isSealedFile)))
    errors.push('manifest.json has no valid list of sealed files');
  if (m.format === MANIFEST_FORMAT && m.journal !== null && !isSealedJournal(m.journal))
    errors.push('manifest.json has no valid journal seal');
  const artifacts: Artifact[] = [];
  m.artifacts.forEach((a, i) => {
    if (isArtifactShape(a)) artifacts.push(a);
    else errors.push(`manifest.json artifacts[${i}] is malformed`);
  });
  return { manifest: { ...m, artifacts }, errors };
}

export function isSealedFile(f: unknown): f is SealedFile {
  const x = f as Record<string, unknown> | null;
  return (
    !!x &&
    typeof x === 'object' &&
    typeof x.path === 'string' &&
    Number.isInteger(x.size) &&
    typeof x.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(x.sha256)
  );
}

export function isSealedJournal(j: unknown): j is SealedJournal {
  const x = j as Record<string, unknown> | null;
  return isSealedFile(j) && Number.isInteger(x?.lines) && typeof x?.head === 'string';
}

/** Enough of an Artifact to locate and check its object and to name it in a report. */
export function isArtifactShape(a: unknown): a is Artifact {
  if (!a || typeof a !== 'object') return false;
  const x = a as Record<string, unknown>;
  const src = x.source as Record<string, unknown> | undefined;
  return (
    typeof x.id === 'string' &&
    typeof x.host === 'string' &&
    typeof x.step === 'string' &&
    typeof x.size === 'number' &&
    typeof x.sha256AtRest === 'string' &&
    !!src &&
    (src.kind === 'command' || src.kind === 'file') &&
    typeof src.value === 'string'
  );
}

/** `web01 command "ps auxwwwf" (ev-000003)`: how problems and reports name an artifact. */
export function describeArtifact(a: Pick<Artifact, 'id' | 'host' | 'source'>): string {
  return `${a.host} ${a.source.kind} ${JSON.stringify(a.source.value)} (${a.id})`;
}
