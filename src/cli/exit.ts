/**
 * The one place that maps errors to exit codes and to what a human reads. User errors print their
 * message (which points at the file/line/host); anything else is a bug and says so.
 */
import { ExitCode, FirebreakError, terminalSafe } from '../core/index.js';

export function reportError(err: unknown, write: (text: string) => void = (t) => process.stderr.write(t)): ExitCode {
  if (err instanceof FirebreakError) {
    write(`firebreak: ${terminalSafe(err.message)}\n`);
    return err.exitCode;
  }
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  write(`firebreak: internal error (this is a bug, please report it with the output below)\n${terminalSafe(detail)}\n`);
  return ExitCode.Internal;
}
