/**
 * `firebreak resume RUN`: carry a crashed run on where its controller died, in its own run directory.
 * Everything it needs is in the run directory (the journaled runbook, params, hosts and options);
 * secrets are not, so they come as they came to `run`: ssh-agent or key files, the become password
 * asked again (-K) or read from the same environment variable, inventory passwords from `-i`.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, terminalSafe, type Host, type PhaseName } from '../../core/index.js';
import { prepareResume, sealEnded, type PreparedSeal } from '../../engine/resume.js';
import { SUMMARY_FILE } from '../../engine/run-dir.js';
import { writeRunReports } from '../run-report.js';
import { withSecretVars } from '../../engine/run-inputs.js';
import { runRunbook } from '../../engine/run-runbook.js';
import { RecapCollector } from '../../render/index.js';
import { addVaultOptions, loadHosts, positiveInt, type VaultOptions } from '../common.js';
import { prepareBusRun, type BusRunOptions } from '../bus-run.js';
import { addNatsOptions } from '../nats-options.js';
import { askSecret, confirm } from '../prompt.js';
import { renderers, superviseRun } from './run.js';

interface ResumeOptions extends VaultOptions, BusRunOptions {
  yes?: boolean;
  json?: boolean;
  runbookChangedOk?: boolean;
  inventory?: string[];
  askBecomePass?: boolean;
  becomePassEnv: string;
}

export function registerResume(program: Command): void {
  const cmd = addVaultOptions(program.command('resume <run-dir>'))
    .description('continue a run whose controller died (SIGKILL, OOM, a reboot), where it stopped')
    .option('-y, --yes', 'answer yes to phase confirmations not yet given (needed without a terminal)')
    .option('--json', 'print events as NDJSON on stdout instead of progress')
    .option(
      '--runbook-changed-ok',
      'resume although the runbook file changed since the run started (the journaled runbook runs)',
    )
    .option(
      '-i, --inventory <path>',
      'read inventory passwords (never journaled) for the run’s hosts from this inventory; repeatable',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('-K, --ask-become-pass', 'ask for the sudo password before resuming')
    .option('--become-pass-env <VAR>', 'environment variable holding the sudo password', 'FIREBREAK_BECOME_PASS')
    .option('--segment-wait <seconds>', 'with --nats: as for run', positiveInt('--segment-wait'), 120)
    .option('--nats-ack-wait <seconds>', 'with --nats: as for run', positiveInt('--nats-ack-wait'), 30);
  addNatsOptions(
    cmd,
    're-attach to the workers of a distributed run through this NATS server (what they did meanwhile is journaled)',
  ).action(async (runDir: string, opts: ResumeOptions) => {
    process.exitCode = await resumeCommand(runDir, opts);
  });
}

export async function resumeCommand(runDir: string, opts: ResumeOptions): Promise<number> {
  // Every check (finished, locked, changed runbook, unreadable plan) comes before anything connects.
  const prepared = prepareResume(runDir, { runbookChangedOk: opts.runbookChangedOk ?? false });
  if (prepared.sealOnly) return sealOnly(prepared, opts);
  const { point, inputs, runbook } = prepared;
  const hosts = await hostsWithSecrets(inputs.hosts, opts);
  const becomePassword = opts.askBecomePass
    ? await askSecret('BECOME password: ')
    : process.env[opts.becomePassEnv] || undefined;
  const bus = await prepareBusRun(opts, hosts, (w) => process.stderr.write(`warning: ${terminalSafe(w)}\n`));
  const recap = new RecapCollector();
  const { sinks, finish } = await renderers(opts);
  const o = inputs.options;
  const abort = new AbortController();
  try {
    const handle = await runRunbook({
      ...(bus.remote ? { remote: bus.remote } : {}),
      loaded: { runbook, file: inputs.runbook.file, dir: inputs.runbook.dir },
      hosts,
      params: inputs.params,
      ...(inputs.groups ? { groups: inputs.groups } : {}),
      ...(o.forks !== undefined ? { forks: o.forks } : {}),
      ...(o.evidenceChannels !== undefined ? { evidenceChannels: o.evidenceChannels } : {}),
      sinks: [...sinks, recap],
      becomePassword,
      tags: { ...(o.tags ? { tags: o.tags } : {}), ...(o.skipTags ? { skipTags: o.skipTags } : {}) },
      ...(o.phases ? { phases: o.phases as PhaseName[] } : {}),
      ...(o.outputLimits ? { outputLimits: o.outputLimits } : {}),
      signal: abort.signal,
      ...(o.caseRecord ? { caseRecord: o.caseRecord } : {}),
      confirm: (phase, message) =>
        confirm(`${message || `Run the ${phase} phase on ${hosts.length} hosts?`}`, { yes: opts.yes ?? false }),
      connection: o.connection,
      ...(o.transport ? { transport: o.transport } : {}),
      onWarning: (w) => process.stderr.write(`warning: ${terminalSafe(w)}\n`),
      ssh: {
        ...o.ssh,
        passphrase: process.stdin.isTTY ? (key) => askSecret(`Passphrase for ${key}: `) : undefined,
      },
      resume: point,
      ...(inputs.runbook.sha256 ? { runbookSha256: inputs.runbook.sha256 } : {}),
    });
    return await superviseRun(handle, opts, recap, finish, abort);
  } finally {
    await bus.close();
  }
}

/** The run had ended but was not sealed: seal it, write its reports; its exit code is the run's. */
async function sealOnly(prepared: PreparedSeal, opts: ResumeOptions): Promise<number> {
  await sealEnded(prepared);
  const out = opts.json ? process.stderr : process.stdout;
  out.write(`the run had ended but its controller died before sealing it: sealed now\n`);
  await writeRunReports(prepared.runDir, out);
  out.write(`run directory: ${prepared.runDir}\n`);
  const summary = JSON.parse(readFileSync(join(prepared.runDir, SUMMARY_FILE), 'utf8')) as { exitCode?: unknown };
  return typeof summary.exitCode === 'number' ? summary.exitCode : 0;
}

/** The journaled hosts, with the passwords and vaulted values an inventory gives them (the journal never holds them). */
async function hostsWithSecrets(hosts: Host[], opts: ResumeOptions): Promise<Host[]> {
  const inventory = opts.inventory;
  if (!inventory?.length) {
    const vaulted = hosts.filter((h) => h.vaultedVars?.length);
    if (vaulted.length > 0)
      throw new InputError(
        `${vaulted.map((h) => `${h.name} (${(h.vaultedVars ?? []).join(', ')})`).join(', ')}: vault-encrypted ` +
          'variables are not journaled; pass the inventory again with -i and the vault password (--vault-password-file or --ask-vault-pass)',
      );
    return hosts;
  }
  const { hosts: fresh } = await loadHosts({ ...opts, inventory });
  const missing = hosts.filter((h) => !fresh.some((f) => f.name === h.name)).map((h) => h.name);
  if (missing.length === hosts.length)
    throw new InputError(
      `none of the run's hosts (${hosts.map((h) => h.name).join(', ')}) is in ${inventory.join(', ')}`,
    );
  return withSecretVars(hosts, fresh);
}
