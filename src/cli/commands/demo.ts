/**
 * `firebreak demo`: the built-in default job, the whole story on this machine. Starts a drill lab
 * (one host running the outbound-ssh-bruteforce scenario, one clean host), runs
 * `runbooks/outbound-ssh-targeted.yaml` across it with live progress (triage both; isolate, collect,
 * lock, kill, back up, rebuild, restore, harden and reconnect the compromised one; the clean one is
 * collected and left in service), writes the post-incident report, always tears the lab down, and
 * prints where the report is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { packagePath, quote } from '../../core/index.js';
import { DEFAULT_EVIDENCE_CHANNELS } from '../../engine/evidence-batch.js';
import { labDown, labUp } from '../../lab/index.js';
import { positiveInt } from '../common.js';
import { runCommand, type RunOptions } from './run.js';

const RUNBOOK = packagePath('runbooks', 'outbound-ssh-targeted.yaml');

/** This very firebreak (built or run through tsx), as a command line for the rebuild hook. */
function selfCommand(): string {
  return [process.execPath, ...process.execArgv, process.argv[1] ?? ''].map((a) => quote(a)).join(' ');
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'drill lab demo: compromised + clean hosts, runbooks/outbound-ssh-targeted.yaml end to end (only the compromised host contained and rebuilt), report written, lab removed (needs root)',
    )
    .option('--hosts <n>', 'lab size: the first host is compromised, the others clean', positiveInt('--hosts'), 2)
    .option('--runbook <file>', 'runbook to run on the lab', RUNBOOK)
    .option('--json', 'print events as NDJSON on stdout instead of progress')
    .option('--runs-dir <dir>', 'where run directories are written', 'runs')
    .action(async (opts: { hosts: number; runbook: string; json?: boolean; runsDir: string }) => {
      const work = mkdtempSync(join(tmpdir(), 'firebreak-demo-'));
      const dir = join(work, 'lab');
      const say = (line: string): void => void process.stderr.write(`demo: ${line}\n`);
      // Set once the lab is up: a `lab up` that fails has already removed what it made, so there is
      // nothing for us to take down then.
      let labIsUp = false;
      try {
        say(
          `starting a drill lab of ${opts.hosts} hosts (n001 compromised: outbound SSH brute force; the rest clean; the heavy evidence sets files and timeline are left out on a lab)`,
        );
        const lab = await labUp({
          dir,
          hosts: opts.hosts,
          scenarios: [
            { name: 'outbound-ssh-bruteforce', count: 1 },
            ...(opts.hosts > 1 ? [{ name: 'clean', count: opts.hosts - 1 }] : []),
          ],
          log: say,
        });
        labIsUp = true;
        const run: RunOptions = {
          inventory: [lab.files.inventory],
          forks: 100,
          evidenceChannels: DEFAULT_EVIDENCE_CHANNELS,
          yes: true,
          connectTimeout: 10,
          becomePassEnv: 'FIREBREAK_BECOME_PASS',
          runsDir: opts.runsDir,
          json: opts.json,
          incident: 'DEMO-1',
          title: 'Outbound SSH brute force from the lab fleet',
          severity: 'critical',
          // Lab hosts share this machine's disk: the heavy sets (a bodyfile, hashes of every executable)
          // would walk the same filesystems once per host, minutes for nothing the demo shows.
          extraVars: [`rebuild_command=${selfCommand()} lab reset --dir ${quote(dir)}`, 'deep_collection=false'],
        };
        process.exitCode = await runCommand(opts.runbook, run);
      } finally {
        if (labIsUp) {
          await labDown(dir).then(
            () => say('lab removed'),
            (err: unknown) =>
              say(`lab down failed: ${(err as Error).message}; finish it with \`firebreak lab down --dir ${dir}\``),
          );
        }
        rmSync(work, { recursive: true, force: true });
      }
    });
}
