/**
 * A verification result as text for a responder: one line per problem naming its artifact or file,
 * then what was checked (signature, signer, how much of the run directory is sealed), then a verdict.
 */
import { describeArtifact } from './manifest.js';
import type { EvidenceProblem, VerifyResult } from './verify.js';

export function formatProblem(p: EvidenceProblem): string {
  const mark = p.severity === 'error' ? '✖' : '⚠';
  const what = p.artifact ? `${describeArtifact(p.artifact)}: ` : p.file ? `${p.file}: ` : '';
  return `${mark} ${what}${p.message} [${p.code}]`;
}

function signatureLine(r: VerifyResult): string {
  if (!r.key) return `signature ${r.signature}`;
  return `signature ${r.signature} with the ${r.key.source} key ${r.key.file} (sha256 ${r.key.sha256})`;
}

const TRUSTED_BY = {
  given: 'the key given with --public-key',
  'trusted-keys': 'listed in the trusted keys file',
  keyring: 'this controller signed with it, keyring',
} as const;

/** Who signed, and why that is trusted or not: a key stored beside the evidence can be replaced with it. */
function signerLine(r: VerifyResult): string | undefined {
  const s = r.signer;
  if (!s) return undefined;
  const who = `signed by ${s.kind === 'unknown' ? 'a' : `a ${s.kind}`} key, sha256 ${s.sha256}`;
  if (s.trusted && s.trustedBy) return `${who}: trusted (${TRUSTED_BY[s.trustedBy]} ${s.trustedFrom ?? ''})`;
  return `${who}: NOT trusted (not made by this controller, not given with --public-key or --trusted-keys)`;
}

function sealLines(r: VerifyResult): string[] {
  const j = r.journal;
  const chain = !j
    ? 'no journal'
    : !j.chained
      ? `journal of ${plural(j.lines, 'line')}, not hash-chained (an older run)`
      : `journal hash chain of ${plural(j.lines, 'line')} checked link by link${j.torn ? ' up to a torn last line' : ''}`;
  const lines = [
    r.sealed === 'run'
      ? `run directory sealed: ${plural(r.runFiles, 'file')} checked against the manifest; ${chain}`
      : r.sealed === 'evidence'
        ? `run directory NOT sealed: this older manifest seals the evidence store only; ${plural(r.runFiles, 'file')} outside it unchecked; ${chain}`
        : `not finalized: nothing is signed, checked as far as it goes; ${plural(r.runFiles, 'file')} outside the store unsealed; ${chain}`,
  ];
  if (r.derived.length)
    lines.push(`not sealed, derived (rebuilt by \`firebreak report\`, written after sealing): ${r.derived.join(', ')}`);
  return lines;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatVerifyResult(r: VerifyResult): string {
  const errors = r.problems.filter((p) => p.severity === 'error').length;
  const warnings = r.problems.length - errors;
  const lines = r.problems.map(formatProblem);
  const from = r.artifactsFrom === 'none' ? 'nowhere' : `the ${r.artifactsFrom}`;
  lines.push(`${plural(r.artifacts, 'artifact')} (from ${from}), ${plural(r.objects, 'object')}; ${signatureLine(r)}`);
  const signer = signerLine(r);
  if (signer) lines.push(signer);
  lines.push(...sealLines(r));
  const warned = warnings ? ` (${plural(warnings, 'warning')})` : '';
  lines.push(r.ok ? `✔ evidence intact${warned}` : `✖ evidence INVALID: ${plural(errors, 'problem')}${warned}`);
  return lines.join('\n');
}
