/**
 * `firebreak drill FILE` / `firebreak drill --hosts N --scenario … --runbook R --fault …`: a game-day
 * drill on a disposable lab, with live progress per stage (listr2 on a terminal, plain lines otherwise),
 * the scorecard printed at the end and an exit code that follows the verdict (0 pass, 7 fail, 4
 * interrupted). `firebreak drill compare A B`: two scorecards side by side.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { Listr } from 'listr2';
import { ExitCode, InputError, type EventSink } from '../../core/index.js';
import {
  drillFromFlags,
  formatComparison,
  formatScorecard,
  loadDrill,
  readScorecard,
  runDrill,
  compareScorecards,
  type DrillFlags,
  type DrillHooks,
} from '../../drill/index.js';
import { PlainRenderer } from '../../render/index.js';
import { ListrProgressRenderer } from '../../render/listr.js';
import { parseExtraVars, readParamsFile } from '../../runbook/index.js';
import { collect, positiveInt } from '../common.js';

interface DrillCliOptions extends DrillFlags {
  seed?: string;
  extraVars?: string[];
  params?: string[];
  keep?: boolean;
  labDir: string;
  runsDir: string;
  json?: boolean;
}

/** Flags that describe a drill, so they cannot be mixed with a drill file. */
const DEFINING = ['scenario', 'runbook', 'fault', 'probe', 'threshold', 'forks', 'timeout', 'hosts'] as const;

export function registerDrill(program: Command): void {
  const drill = program
    .command('drill')
    .description(
      'rehearse a runbook on a disposable lab: planted compromises, injected faults, a scored verdict (needs root)',
    )
    .argument('[file]', 'drill file (see drills/); or describe the drill with --hosts, --scenario, --runbook, --fault')
    .option('--hosts <n>', 'lab hosts', positiveInt('--hosts'), 6)
    .option('--scenario <list>', 'NAME[:COUNT],... planted on random hosts (seeded)')
    .option('--runbook <file>', 'the runbook to rehearse (with a drill file: replaces its runbook)')
    .option(
      '--fault <spec>',
      'KIND[:TARGET[:VALUE]][@WHEN], e.g. down:2, slow:3:300ms, flaky:1:30%@phase:collect (repeatable)',
      collect,
    )
    .option(
      '--probe <probe:hosts>',
      'hypothesis probe, e.g. ssh-serves:non-compromised (repeatable; replaces the default)',
      collect,
    )
    .option('--threshold <name=value>', 'verdict threshold, e.g. min_coverage=0.9 (repeatable)', collect)
    .option('-f, --forks <n>', 'hosts worked on at once', positiveInt('--forks'))
    .option('--timeout <duration>', 'abort the run after this long (default 30m)')
    .option('--seed <seed>', 'replay: the same seed gives the same scenarios and faults on the same hosts')
    .option('-e, --extra-vars <k=v>', 'set a runbook param (repeatable)', collect)
    .option('--params <file>', 'YAML file of runbook params', collect)
    .option('--keep', 'leave the lab up at the end, for inspection')
    .option('--lab-dir <dir>', 'the drill lab directory', '.firebreak/drill')
    .option('--runs-dir <dir>', 'where run directories are written', 'runs')
    .option('--json', 'print the scorecard as JSON on stdout (progress goes to stderr)')
    .action(async (file: string | undefined, opts: DrillCliOptions, cmd: Command) => {
      process.exitCode = await drillCommand(file, opts, cmd);
    });

  drill
    .command('compare')
    .description('two drill scorecards side by side (run directories or scorecard.json files)')
    .argument('<a>')
    .argument('<b>')
    .option('--json', 'the comparison rows as JSON')
    .action((a: string, b: string, opts: { json?: boolean }) => {
      const [sa, sb] = [readScorecard(a), readScorecard(b)];
      const label = (p: string): string => path.basename(p.replace(/\/scorecard\.json$/, '').replace(/\/+$/, ''));
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(compareScorecards(sa, sb), null, 2)}\n`
          : `${formatComparison(sa, sb, [`A ${label(a)}`, `B ${label(b)}`])}\n`,
      );
    });
}

function seedOf(text: string | undefined): number | string | undefined {
  return text === undefined ? undefined : /^\d+$/.test(text) ? Number(text) : text;
}

async function drillCommand(file: string | undefined, opts: DrillCliOptions, cmd: Command): Promise<number> {
  // With a file, --runbook alone is allowed: the same drill (lab, faults, seed) rehearsing another runbook.
  const given = DEFINING.filter((k) => cmd.getOptionValueSource(k) === 'cli' && !(file && k === 'runbook'));
  if (file && given.length)
    throw new InputError(
      `firebreak drill: give a drill file or describe the drill with flags, not both (${given.map((k) => `--${k}`).join(', ')}); with a file, only --runbook may replace its runbook`,
    );
  const seed = seedOf(opts.seed);
  const loaded = file ? loadDrill(file) : drillFromFlags(opts, seed);
  const drill = file && opts.runbook !== undefined ? { ...loaded, runbookPath: path.resolve(opts.runbook) } : loaded;
  const params = [...(opts.params ?? []).flatMap((f) => readParamsFile(f)), ...parseExtraVars(opts.extraVars ?? [])];
  const out = opts.json ? process.stderr : process.stdout;
  const ui = progress(out, !opts.json && process.stdout.isTTY === true && !process.env.CI);
  const abort = new AbortController();
  const stopSignals = onSignals(abort, opts.labDir);
  try {
    const result = await runDrill({
      drill,
      seed,
      labDir: opts.labDir,
      runsDir: opts.runsDir,
      keep: opts.keep,
      signal: abort.signal,
      params,
      hooks: ui,
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(result.scorecard, null, 2)}\n`);
    else out.write(`\n${formatScorecard(result.scorecard)}\n`);
    out.write(`scorecard: ${result.scorecardPath}\n`);
    return result.exitCode;
  } finally {
    stopSignals();
  }
}

/** Stage progress: one small listr2 list per stage on a terminal, plain lines otherwise. */
function progress(out: NodeJS.WriteStream, tty: boolean): DrillHooks {
  let task: { title: string; output: string } | undefined;
  let running = false;
  const held: string[] = [];
  const write = (line: string): void => void out.write(`${line}\n`);
  const say = (line: string): void => {
    if (task) task.output = line;
    else if (running && tty)
      held.push(line); // the run's listr owns the terminal: print after it
    else write(`drill | ${line}`);
  };
  const sinks: EventSink[] = tty ? [] : [new PlainRenderer({ write: (l) => void out.write(l) })];
  const stage: DrillHooks['stage'] = async (title, fn, o) => {
    if (o?.ownProgress) {
      write(tty ? `❯ ${title}` : `drill | ${title}`);
      const listr = tty ? new ListrProgressRenderer() : undefined;
      if (listr) sinks.splice(0, sinks.length, listr);
      running = true;
      try {
        return await fn();
      } finally {
        await listr?.done();
        running = false;
        for (const l of held.splice(0)) write(`  ${l}`);
      }
    }
    if (!tty) {
      const t0 = Date.now();
      write(`drill | ${title} ...`);
      const value = await fn().catch((err: Error) => {
        write(`drill | ${title}: FAILED: ${err.message.split('\n')[0]}`);
        throw err;
      });
      write(
        `drill | ${title}: done in ${((Date.now() - t0) / 1000).toFixed(1)}s${o?.summary ? ` (${o.summary(value)})` : ''}`,
      );
      return value;
    }
    let value!: Awaited<ReturnType<typeof fn>>;
    const list = new Listr(
      [
        {
          title,
          task: async (_ctx: unknown, t: { title: string; output: string }) => {
            task = t;
            try {
              value = await fn();
              if (o?.summary) t.title = `${title}: ${o.summary(value)}`;
            } finally {
              task = undefined;
            }
          },
          rendererOptions: { outputBar: 1, persistentOutput: false },
        },
      ] as never,
      { exitOnError: true, renderer: 'default', fallbackRenderer: 'simple', rendererOptions: {} } as never,
    );
    await list.run();
    return value;
  };
  return { stage, say, sinks };
}

/**
 * Ctrl-C: the first stops the run and goes on to scoring and lab down; the second says the lab is
 * still being torn down; the third exits at once and leaves the lab (with the command that removes it).
 */
function onSignals(abort: AbortController, labDir: string): () => void {
  let count = 0;
  const listener = (signal: NodeJS.Signals): void => {
    count++;
    if (count === 1) {
      process.stderr.write(
        `\nfirebreak drill: ${signal}: stopping the run; then scoring what ran and tearing the lab down\n`,
      );
      abort.abort(`interrupted by ${signal}`);
    } else if (count === 2) {
      process.stderr.write(
        `\nfirebreak drill: still tearing the lab down; once more exits now and leaves it (then: firebreak lab down --dir ${labDir})\n`,
      );
    } else {
      process.stderr.write(
        `\nfirebreak drill: exiting; the lab is left in ${labDir}: firebreak lab down --dir ${labDir}\n`,
      );
      process.exit(ExitCode.Aborted);
    }
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}
