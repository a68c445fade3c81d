/**
 * `firebreak runs list`: the runs under a runs directory, newest first, and how each stands: running
 * (a live controller holds its lock), finished, aborted (both with their exit code) or crashed (no
 * summary and nobody holds its lock: the controller died).
 */
import type { Command } from 'commander';
import { terminalSafe } from '../../core/index.js';
import { listRuns, type RunInfo } from '../../engine/run-state.js';

interface RunsListOptions {
  runsDir: string;
  json?: boolean;
}

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('the runs in a runs directory');
  runs
    .command('list')
    .description(
      'list the runs, newest first: id, runbook, start, state (running, finished, aborted, crashed), exit code, hosts',
    )
    .option('--runs-dir <dir>', 'where run directories are written', 'runs')
    .option('--json', 'print the runs as JSON (an array, newest first)')
    .action((opts: RunsListOptions) => {
      const found = listRuns(opts.runsDir);
      if (opts.json) process.stdout.write(JSON.stringify(found, null, 2) + '\n');
      else process.stdout.write(found.length ? formatRuns(found) : `no runs in ${terminalSafe(opts.runsDir)}\n`);
    });
}

/** `2026-01-31 10:15:00Z`: the start to the second, UTC. */
function shortTime(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';
}

/** A table, one run a line, columns padded to their widest cell. */
export function formatRuns(runs: readonly RunInfo[]): string {
  const header = ['RUN', 'RUNBOOK', 'STARTED', 'STATE', 'EXIT', 'HOSTS', 'LAST EVENT'];
  const rows = runs.map((r) => [
    r.runId,
    r.runbook ?? '-',
    shortTime(r.startedAt),
    r.state,
    r.exitCode === undefined ? '-' : String(r.exitCode),
    r.hosts === undefined ? '-' : String(r.hosts),
    shortTime(r.lastEventAt) + (r.journalTorn ? ' (journal tail torn)' : ''),
  ]);
  const table = [header, ...rows].map((cells) => cells.map(terminalSafe));
  const widths = header.map((_, i) => Math.max(...table.map((cells) => (cells[i] ?? '').length)));
  return (
    table
      .map((cells) =>
        cells
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
