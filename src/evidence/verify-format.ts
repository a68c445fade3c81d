/** A verification result as text for a responder: one line per problem naming its artifact, then a verdict. */
import { describeArtifact } from './manifest.js';
import type { EvidenceProblem, VerifyResult } from './verify.js';

export function formatProblem(p: EvidenceProblem): string {
  const mark = p.severity === 'error' ? '✖' : '⚠';
  const what = p.artifact ? `${describeArtifact(p.artifact)}: ` : p.file ? `${p.file}: ` : '';
  return `${mark} ${what}${p.message} [${p.code}]`;
}

function signatureLine(r: VerifyResult): string {
  if (!r.key) return `signature ${r.signature}`;
  const key = `${r.key.source} key ${r.key.file} (sha256 ${r.key.sha256})`;
  // A key stored beside the evidence can be replaced together with it: say what a valid signature proves.
  const meaning =
    r.key.source === 'stored' && r.signature === 'valid'
      ? ': proves the files are unchanged since signing, not who signed; pass --public-key to check origin'
      : '';
  return `signature ${r.signature} with the ${key}${meaning}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatVerifyResult(r: VerifyResult): string {
  const errors = r.problems.filter((p) => p.severity === 'error').length;
  const warnings = r.problems.length - errors;
  const lines = r.problems.map(formatProblem);
  const from = r.artifactsFrom === 'none' ? 'nowhere' : `the ${r.artifactsFrom}`;
  lines.push(`${plural(r.artifacts, 'artifact')} (from ${from}), ${plural(r.objects, 'object')}; ${signatureLine(r)}`);
  const warned = warnings ? ` (${plural(warnings, 'warning')})` : '';
  lines.push(r.ok ? `✔ evidence intact${warned}` : `✖ evidence INVALID: ${plural(errors, 'problem')}${warned}`);
  return lines.join('\n');
}
