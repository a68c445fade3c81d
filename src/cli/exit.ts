/**
 * The one place that maps errors to exit codes and to what a human reads. User errors print their
 * message (which points at the file/line/host); anything else is a bug and says so.
 */
import { ExitCode, FirebreakError, isDiskFullError, terminalSafe } from '../core/index.js';

export function reportError(err: unknown, write: (text: string) => void = (t) => process.stderr.write(t)): ExitCode {
  if (err instanceof FirebreakError) {
    write(`firebreak: ${terminalSafe(err.message)}\n`);
    return err.exitCode;
  }
  const full = diskFull(err);
  if (full) {
    write(`firebreak: ${terminalSafe(full)}\n`);
    return ExitCode.Environment;
  }
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  write(`firebreak: internal error (this is a bug, please report it with the output below)\n${terminalSafe(detail)}\n`);
  return ExitCode.Internal;
}

/** A full disk or quota is this machine's state, not a bug: say where, and what to do. */
function diskFull(err: unknown): string | undefined {
  if (!isDiskFullError(err)) return undefined;
  const e = err;
  const where = e.path ? ` writing ${e.path}` : '';
  return `no space left on the device${where} (${e.code}): free space there, or give --runs-dir on another filesystem; what was written so far stays in the run directory`;
}
