/**
 * The evidence store: content-addressed artifacts under `<runDir>/evidence/`, a custody log, a signed
 * manifest that also seals the rest of the run directory, a keyring of trusted signers, and
 * verification. Layout and write order: see store.ts; what is sealed: run-files.ts.
 */
export {
  EvidenceStore,
  type ArtifactInput,
  type EvidenceTarget,
  type EvidenceStoreOptions,
  type FinalizeResult,
} from './store.js';
export {
  verifyEvidence,
  type EvidenceProblem,
  type KeyUsed,
  type ProblemCode,
  type Signer,
  type VerifyOptions,
  type VerifyResult,
} from './verify.js';
export { formatProblem, formatVerifyResult } from './verify-format.js';
export {
  describeArtifact,
  MANIFEST_FORMAT,
  MANIFEST_FORMAT_V1,
  type Acquisition,
  type RelayHop,
  type Artifact,
  type ArtifactSource,
  type CaseRecord,
  type Collector,
  type Manifest,
  type HostRecord,
  type SealedFile,
  type SealedJournal,
} from './manifest.js';
export { addToKeyring, defaultKeyringDir, KEYRING_ENV, readKeyring } from './keyring.js';
export { DERIVED_FILES, listRunFiles } from './run-files.js';
export { readCustody, type CustodyEvent } from './custody.js';
export { evidencePaths, hashFile, objectRelPath, type EvidencePaths } from './layout.js';
export { checkFreeSpace, freeBytes, freeSpaceReserve } from './free-space.js';
