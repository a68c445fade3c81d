/**
 * The firebreak command line. The only place that reads argv, writes for humans, or exits.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode, firebreakVersion } from '../core/index.js';
import { reportError } from './exit.js';

type Register = (program: Command) => void;

/** Each command's module, loaded only when needed: `firebreak run` should not pay for the lab or drills. */
const COMMANDS: Record<string, () => Promise<Register>> = {
  inventory: async () => (await import('./commands/inventory.js')).registerInventory,
  plan: async () => (await import('./commands/plan.js')).registerPlan,
  run: async () => (await import('./commands/run.js')).registerRun,
  resume: async () => (await import('./commands/resume.js')).registerResume,
  runs: async () => (await import('./commands/runs.js')).registerRuns,
  schema: async () => (await import('./commands/schema.js')).registerSchema,
  demo: async () => (await import('./commands/demo.js')).registerDemo,
  evidence: async () => (await import('./commands/evidence.js')).registerEvidence,
  report: async () => (await import('./commands/report.js')).registerReport,
  lab: async () => (await import('./commands/lab.js')).registerLab,
  drill: async () => (await import('./commands/drill.js')).registerDrill,
  worker: async () => (await import('./commands/worker.js')).registerWorker,
  bus: async () => (await import('./commands/bus.js')).registerBus,
};

/** The program with the command `argv` names, or with every command (help, version, a typo). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('firebreak')
    .description('Agentless incident response across a fleet over SSH: isolate, collect, rebuild, restore')
    .version(firebreakVersion())
    .showHelpAfterError()
    .exitOverride();
  const named = argv[2] !== undefined && Object.hasOwn(COMMANDS, argv[2]) ? [argv[2]] : Object.keys(COMMANDS);
  for (const register of await Promise.all(named.map((name) => (COMMANDS[name] as () => Promise<Register>)())))
    register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
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
