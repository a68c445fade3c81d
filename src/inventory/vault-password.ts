/**
 * The vault password from a file, as Ansible's `--vault-password-file` reads it: an executable
 * file is run (no arguments) and its stdout is the password; any other file's content is. Ansible
 * strips surrounding whitespace from a file and line ends from a script's output. One password
 * (one vault id) is supported: it is tried on every vaulted value, whatever its label.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import { runProgram, isRunnableFile } from './run-program.js';

/** How long a password script may take (it may ask a keyring, or a human through pinentry). */
const SCRIPT_TIMEOUT_MS = 120_000;
const MAX_PASSWORD_BYTES = 64 * 1024;

/** Reads the password; InputError naming the file when it is missing, fails, or gives an empty password. */
export async function readVaultPasswordFile(file: string): Promise<string> {
  let password: string;
  try {
    if (await isRunnableFile(file)) {
      const { stdout } = await runProgram(resolve(file), [], {
        timeoutMs: SCRIPT_TIMEOUT_MS,
        maxOutputBytes: MAX_PASSWORD_BYTES,
      });
      password = stripLineEnds(stdout);
    } else password = stripLineEnds(pyStrip(await readFile(file, 'utf8')));
  } catch (e) {
    throw new InputError(`vault password file ${file}: ${(e as Error).message}`);
  }
  if (password === '') throw new InputError(`vault password file ${file} gives an empty password`);
  return password;
}

/** Python's `bytes.strip()`: ASCII whitespace only. */
function pyStrip(s: string): string {
  return s.replace(/^[ \t\n\r\v\f]+|[ \t\n\r\v\f]+$/g, '');
}

/** Python's `strip(b'\r\n')`. */
export function stripLineEnds(s: string): string {
  return s.replace(/^[\r\n]+|[\r\n]+$/g, '');
}
