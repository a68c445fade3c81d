/**
 * `firebreak demo`: the built-in default job. Starts a loopback fleet of real sshd processes (each in
 * its own namespaces, the machine untouched), runs `runbooks/triage.yaml` on it through the same path
 * as `firebreak run`, and always stops the fleet again.
 */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { InputError } from '../../core/index.js';
import { startFleet } from '../../lab/loopback-fleet.js';
import { positiveInt } from '../common.js';
import { runCommand, type RunOptions } from './run.js';

const TRIAGE = fileURLToPath(new URL('../../../runbooks/triage.yaml', import.meta.url));

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('start a local demo fleet of real sshd processes on loopback, run runbooks/triage.yaml on it, stop it (needs root)')
    .option('--hosts <n>', 'demo fleet size', positiveInt('--hosts'), 10)
    .option('--runbook <file>', 'runbook to run on the demo fleet', TRIAGE)
    .option('--json', 'print events as NDJSON on stdout instead of progress')
    .option('--runs-dir <dir>', 'where run directories are written', 'runs')
    .action(async (opts: { hosts: number; runbook: string; json?: boolean; runsDir: string }) => {
      if (process.getuid?.() !== 0) {
        throw new InputError('the demo fleet needs root (it starts sshd in private namespaces): run it as root, or with sudo');
      }
      process.stderr.write(`starting a demo fleet of ${opts.hosts} sshd processes on 127.0.0.x ...\n`);
      const fleet = await startFleet({ hosts: opts.hosts, group: 'demo' });
      try {
        const run: RunOptions = {
          inventory: [fleet.inventoryPath],
          knownHosts: fleet.knownHostsPath,
          forks: 100,
          connectTimeout: 10,
          becomePassEnv: 'FIREBREAK_BECOME_PASS',
          runsDir: opts.runsDir,
          json: opts.json,
        };
        process.exitCode = await runCommand(opts.runbook, run);
      } finally {
        await fleet.stop();
        process.stderr.write('demo fleet stopped\n');
      }
    });
}
