/** What `verifyEvidence` reports, and the problem list its checks (verify*.ts) share. */
import { relative } from 'node:path';
import type { Artifact, Collector } from './manifest.js';

/** What can be wrong. `error`s make the evidence invalid; `warning`s are worth knowing but prove nothing false. */
export type ProblemCode =
  | 'manifest-missing' // never finalized (a crashed run): entries come from the custody log, nothing is signed
  | 'manifest-unreadable' // not JSON or not a manifest
  | 'entry-malformed' // an entry lacks fields or has an impossible digest
  | 'object-missing' // an entry's object is not there
  | 'size-mismatch' // the object's size differs from the entry's
  | 'hash-mismatch' // the object's bytes do not hash to the entry's SHA-256
  | 'source-mismatch' // marked at collection: the host's hash and the controller's differ
  | 'signature-missing'
  | 'signature-invalid' // the signature does not match the manifest bytes with the key used
  | 'signer-untrusted' // a valid signature by a key this controller did not make and was not told to trust
  | 'public-key-missing'
  | 'public-key-invalid' // the stored key cannot be read, was altered, or is not the key the manifest names
  | 'keyring' // the local keyring cannot be trusted (warning)
  | 'custody-missing'
  | 'custody-altered' // the custody log's lines up to signing do not hash to what the manifest recorded
  | 'custody-unreadable' // lines that are not custody events
  | 'journal-chain' // a journal line does not link to the line before it (edited, removed, inserted, moved)
  | 'journal-changed' // the journal's bytes differ from the sealed ones (appended to, cut, rewritten)
  | 'journal-torn' // an unsealed journal's last line was cut short by a crash (warning)
  | 'file-changed' // a sealed file of the run directory changed size or content
  | 'file-missing' // a sealed file of the run directory is gone
  | 'file-added' // a file that was not there at sealing and is not derived (a report)
  | 'object-unlisted' // an object no entry refers to (warning: e.g. a crash between storing and logging)
  | 'stray-file' // an unexpected file in the store, a write a crash left in tmp/, a link in the run dir (warning)
  | 'permissions' // a directory readable by others (warning)
  | 'not-recorded'; // the verification could not be written to the custody log (warning)

export interface EvidenceProblem {
  code: ProblemCode;
  severity: 'error' | 'warning';
  message: string;
  /** The artifact concerned, when there is one. */
  artifact?: Pick<Artifact, 'id' | 'host' | 'step' | 'source'>;
  /** The file concerned, relative to the run directory. */
  file?: string;
}

/** Which public key checked the signature: given on the command line, stored beside the manifest, or a trusted one. */
export interface KeyUsed {
  source: 'given' | 'stored' | 'trusted';
  file: string;
  sha256: string;
}

/** Who signed, and whether this controller trusts that key. */
export interface Signer {
  sha256: string;
  /** What the manifest says: a key made for the run, or the responder's key file. */
  kind: 'run' | 'file' | 'unknown';
  trusted: boolean;
  /** `given`: --public-key; `trusted-keys`: --trusted-keys; `keyring`: this controller signed with it. */
  trustedBy: 'given' | 'trusted-keys' | 'keyring' | null;
  /** The keyring directory or key file that vouches for it. */
  trustedFrom: string | null;
}

export interface VerifyResult {
  /** No error-severity problem. */
  ok: boolean;
  runDir: string;
  /** Where the list of artifacts came from (`custody` when the run was never finalized). */
  artifactsFrom: 'manifest' | 'custody' | 'none';
  artifacts: number;
  /** Objects found under `objects/`. */
  objects: number;
  signature: 'valid' | 'invalid' | 'malformed' | 'missing' | 'unchecked';
  key: KeyUsed | null;
  /** The key fingerprint the manifest names. */
  manifestKeySha256: string | null;
  signer: Signer | null;
  /** What the manifest seals: the whole run directory, the evidence store only (an older run), or nothing (never finalized). */
  sealed: 'run' | 'evidence' | 'none';
  /** Files of the run directory outside the store, the journal included: checked against the seal when `sealed` is `run`. */
  runFiles: number;
  /** The journal's hash chain as checked (`null`: no journal). */
  journal: { lines: number; chained: boolean; torn: boolean } | null;
  /** Derived files present (reports, a drill's scorecard): written after sealing, not sealed. */
  derived: string[];
  problems: EvidenceProblem[];
}

export interface VerifyOptions {
  /** Check the signature against this public key (PEM) instead of the one stored with the evidence. */
  publicKeyFile?: string;
  /** Also trust the Ed25519 public keys (PEM blocks) in this file. */
  trustedKeysFile?: string;
  /** The keyring of keys this controller signed with (default: keyring.ts `defaultKeyringDir()`). */
  keyringDir?: string;
  /** Append a `verified` line to the custody log (default false: verifying may be done on a read-only copy). */
  record?: boolean;
  /** Who verifies, for the custody line (default: this process's user and machine name). */
  collector?: Collector;
  now?: () => Date;
}

/** The problems found so far, each naming its artifact or its file relative to the run directory. */
export class ProblemList {
  readonly problems: EvidenceProblem[] = [];

  constructor(readonly runDir: string) {}

  rel(path: string): string {
    return relative(this.runDir, path);
  }

  problem(
    code: ProblemCode,
    message: string,
    extra: { artifact?: Artifact; file?: string; severity?: 'error' | 'warning' } = {},
  ): void {
    const a = extra.artifact;
    this.problems.push({
      code,
      severity: extra.severity ?? 'error',
      message,
      ...(a ? { artifact: { id: a.id, host: a.host, step: a.step, source: a.source } } : {}),
      ...(extra.file ? { file: this.rel(extra.file) } : {}),
    });
  }
}
