/**
 * Running a local program for the inventory (an inventory script, `ansible-inventory` for a plugin
 * file, a vault password script): argv, never a shell; bounded in time and output; its failure
 * described the way a responder reads it (what ran, how it ended, the first lines of stderr).
 */
import { execFile } from 'node:child_process';
import { access, constants, open, stat } from 'node:fs/promises';

/** What a finished program gave back. */
export interface ProgramOutput {
  stdout: string;
  stderr: string;
}

export interface RunProgramOptions {
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Written to the program's stdin (a secret goes this way, never in argv); stdin is closed either way. */
  stdin?: string;
  timeoutMs: number;
  maxOutputBytes: number;
}

/** A program that could not run or did not succeed; `notFound` when it is not installed. */
export class ProgramError extends Error {
  constructor(
    message: string,
    readonly notFound: boolean,
  ) {
    super(message);
  }
}

/** Lines of stderr quoted in a failure message. */
const STDERR_LINES = 5;

/**
 * Runs `file args` and resolves its output when it exits 0. Rejects with an Error whose message
 * says how it failed (exit code, signal, timeout, too much output) and quotes stderr's first lines.
 */
export function runProgram(file: string, args: string[], opts: RunProgramOptions): Promise<ProgramOutput> {
  const shown = [file, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
        ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
        timeout: opts.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: opts.maxOutputBytes,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: unknown };
        const how =
          e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'
            ? `printed more than ${opts.maxOutputBytes} bytes`
            : e.killed && e.signal === 'SIGKILL'
              ? `timed out after ${opts.timeoutMs / 1000} s`
              : typeof e.code === 'number'
                ? `exited with code ${e.code}`
                : e.signal
                  ? `was killed by ${e.signal}`
                  : `could not run (${e.message})`;
        reject(new ProgramError(`\`${shown}\` ${how}${stderrHead(stderr)}`, e.code === 'ENOENT'));
      },
    );
    // A program that reads stdin must not wait for input until the timeout.
    child.stdin?.on('error', () => {});
    child.stdin?.end(opts.stdin ?? '');
  });
}

/** The first lines of stderr, indented, for a message. */
export function stderrHead(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return '';
  const shown = lines.slice(0, STDERR_LINES).map((l) => `    ${l}`);
  if (lines.length > STDERR_LINES) shown.push(`    … (${lines.length - STDERR_LINES} more lines)`);
  return `\n${shown.join('\n')}`;
}

/**
 * Whether Ansible would run this file rather than read it: a regular file with an execute bit that
 * the kernel can execute (`#!` or ELF). Python's exec gives ENOEXEC for anything else, so Ansible
 * falls back to reading it (an INI file that merely has mode 0755); Node would hand it to /bin/sh.
 */
export async function isRunnableFile(path: string): Promise<boolean> {
  const s = await stat(path);
  if (!s.isFile() || (s.mode & 0o111) === 0) return false;
  try {
    await access(path, constants.X_OK);
  } catch {
    return false;
  }
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    const magic = head.subarray(0, bytesRead);
    return magic.subarray(0, 2).toString('latin1') === '#!' || magic.toString('latin1') === '\x7fELF';
  } finally {
    await fh.close();
  }
}
