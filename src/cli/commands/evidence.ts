/**
 * `firebreak evidence verify RUN`: re-hash a run's evidence and every sealed file of its run directory,
 * check the manifest's signature and that its signer is trusted (this controller's keyring,
 * `--public-key`, `--trusted-keys`); exit 5 when anything fails.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ExitCode } from '../../core/index.js';
import { formatVerifyResult, verifyEvidence } from '../../evidence/index.js';

interface VerifyCliOptions {
  publicKey?: string;
  trustedKeys?: string;
  json?: boolean;
  record: boolean;
}

/** A path to a run directory, or a run id under `runs/` (what `firebreak run` prints). */
function runDirOf(run: string): string {
  const underRuns = join('runs', run);
  return !existsSync(run) && existsSync(underRuns) ? underRuns : run;
}

export function registerEvidence(program: Command): void {
  const evidence = program.command('evidence').description("check a run's evidence store");
  evidence
    .command('verify')
    .description(
      're-hash every artifact and every sealed file of the run directory, check the signed manifest and who signed it; exit 5 when anything fails or the signer is not trusted',
    )
    .argument('<run>', 'run directory (or a run id under runs/)')
    .option(
      '--public-key <file>',
      'check the signature with this Ed25519 public key (PEM), which proves who signed, instead of the key stored with the evidence',
    )
    .option(
      '--trusted-keys <file>',
      'also trust the Ed25519 public keys (PEM blocks) in this file, besides the keys this controller signed with (its keyring: $FIREBREAK_KEYRING, else $FIREBREAK_HOME/keyring, else ~/.firebreak/keyring)',
    )
    .option('--json', 'print the result as JSON')
    .option('--no-record', 'do not append this verification to the custody log (e.g. on a read-only copy)')
    .action(async (run: string, opts: VerifyCliOptions) => {
      const result = await verifyEvidence(runDirOf(run), {
        publicKeyFile: opts.publicKey,
        trustedKeysFile: opts.trustedKeys,
        record: opts.record,
      });
      process.stdout.write((opts.json ? JSON.stringify(result, null, 2) : formatVerifyResult(result)) + '\n');
      if (!result.ok) process.exitCode = ExitCode.EvidenceInvalid;
    });
}
