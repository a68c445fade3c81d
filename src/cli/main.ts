/**
 * The firebreak command line. The only place that reads argv, writes for humans, or exits.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../core/index.js';
import { registerDemo } from './commands/demo.js';
import { registerEvidence } from './commands/evidence.js';
import { registerInventory } from './commands/inventory.js';
import { registerLab } from './commands/lab.js';
import { registerDrill } from './commands/drill.js';
import { registerPlan } from './commands/plan.js';
import { registerRun } from './commands/run.js';
import { registerReport } from './commands/report.js';
import { registerSchema } from './commands/schema.js';
import { reportError } from './exit.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('firebreak')
    .description('Agentless incident response across a fleet over SSH: isolate, collect, rebuild, restore')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();
  registerInventory(program);
  registerPlan(program);
  registerRun(program);
  registerSchema(program);
  registerDemo(program);
  registerEvidence(program);
  registerReport(program);
  registerLab(program);
  registerDrill(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return Number(process.exitCode ?? ExitCode.Ok);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.Ok : ExitCode.BadInput;
    return reportError(err);
  }
}

// `firebreak ... | head`: a reader that closes early is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(Number(process.exitCode ?? ExitCode.Ok));
  throw err;
});

process.exitCode = await main(process.argv);
