/**
 * `firebreak report RUN`: the post-incident report of a run directory, as Markdown, HTML or JSON, or
 * exported as a Timesketch timeline (CSV, JSONL) or OCSF Detection Findings (NDJSON).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ExitCode, InputError, terminalSafe } from '../../core/index.js';
import { buildReportModel, renderReport, REPORT_FORMATS, type ReportFormat } from '../../report/index.js';

interface ReportCliOptions {
  format: ReportFormat;
  notes?: string;
  templates?: string;
  out?: string;
  publicKey?: string;
  trustedKeys?: string;
}

function parseFormat(value: string): ReportFormat {
  if (!(REPORT_FORMATS as readonly string[]).includes(value))
    throw new InputError(`--format must be one of ${REPORT_FORMATS.join(', ')}, got "${value}"`);
  return value as ReportFormat;
}

/** A path to a run directory, or a run id under `runs/` (what `firebreak run` prints). */
function runDirOf(run: string): string {
  const underRuns = join('runs', run);
  return !existsSync(run) && existsSync(underRuns) ? underRuns : run;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'render the post-incident report of a run directory (evidence is re-verified); exit 5 when the evidence fails verification',
    )
    .argument('<run>', 'run directory (or a run id under runs/)')
    .option(
      '--format <format>',
      `output format: ${REPORT_FORMATS.join(', ')} (timeline-*: a Timesketch timeline; ocsf: findings as OCSF Detection Findings, NDJSON)`,
      parseFormat,
      'md' as ReportFormat,
    )
    .option(
      '--notes <file>',
      "responders' notes YAML (status, responders, lessons, action items); default: the run's copy",
    )
    .option(
      '--templates <dir>',
      'directory of templates overriding the shipped ones by name (report.md.hbs, partials/NAME.html.hbs, ...)',
    )
    .option('--out <file>', 'write the report to this file instead of stdout')
    .option(
      '--public-key <file>',
      'verify the evidence signature with this Ed25519 public key (PEM), as evidence verify does',
    )
    .option('--trusted-keys <file>', 'PEM public keys to trust as signers, for a run signed on another controller')
    .action(async (run: string, opts: ReportCliOptions) => {
      const trust = { publicKeyFile: opts.publicKey, trustedKeysFile: opts.trustedKeys };
      const model = await buildReportModel(runDirOf(run), {
        notesFile: opts.notes,
        trust,
        onWarning: (w) => process.stderr.write(`warning: ${terminalSafe(w)}\n`),
      });
      const text = renderReport(model, opts.format, { templatesDir: opts.templates });
      if (opts.out) {
        writeFileSync(opts.out, text);
        process.stderr.write(`report written to ${opts.out}\n`);
      } else {
        process.stdout.write(text);
      }
      if (model.evidence.status === 'failed' || model.evidence.status === 'error') {
        process.stderr.write(
          `firebreak: the evidence of this run FAILED verification (${model.evidence.errors} error(s)); the report says which artifacts\n`,
        );
        process.exitCode = ExitCode.EvidenceInvalid;
      }
    });
}
