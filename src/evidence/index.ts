/**
 * The evidence store: content-addressed artifacts under `<runDir>/evidence/`, a custody log, a signed
 * manifest, and verification. Layout and write order: see store.ts.
 */
export { EvidenceStore, type ArtifactInput, type EvidenceStoreOptions, type FinalizeResult } from './store.js';
export {
  verifyEvidence,
  type EvidenceProblem,
  type KeyUsed,
  type ProblemCode,
  type VerifyOptions,
  type VerifyResult,
} from './verify.js';
export { formatProblem, formatVerifyResult } from './verify-format.js';
export {
  describeArtifact,
  MANIFEST_FORMAT,
  type Artifact,
  type ArtifactSource,
  type Collector,
  type Manifest,
} from './manifest.js';
export { readCustody, type CustodyEvent } from './custody.js';
export { evidencePaths, objectRelPath, type EvidencePaths } from './layout.js';
