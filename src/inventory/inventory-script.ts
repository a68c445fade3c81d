/**
 * An executable inventory source (Ansible's `script` plugin): run as `SCRIPT --list` in its own
 * directory, its JSON read into the inventory; when it gives no `_meta.hostvars`, each host's
 * variables come from `SCRIPT --host H`, as Ansible asks. Bounded in time and output; a failure
 * (non-zero exit, timeout, invalid JSON) is an issue naming the script with its stderr's first lines.
 */
import { dirname, resolve } from 'node:path';
import type { ValidationIssue } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';
import { addHostVars, addListedGroups, fromAnsibleJson, jsonError } from './inventory-json.js';
import type { InventoryBuilder } from './model.js';
import { runProgram, stderrHead, type ProgramOutput } from './run-program.js';

/** How long one call of the script may take. */
export const SCRIPT_TIMEOUT_MS = 30_000;
/** `--host` calls running at once. */
const HOST_CALLS_AT_ONCE = 4;

/** Runs the script and adds what it lists to the builder; problems go to `issues`. */
export async function loadInventoryScript(b: InventoryBuilder, file: string, issues: ValidationIssue[]): Promise<void> {
  const issue = (message: string): void => {
    issues.push({ code: 'inventory_script', path: '', message, severity: 'error', file });
  };
  const list = await call(file, ['--list'], issue);
  if (!list) return;
  const data = parseJson(list, file, '--list', issue);
  if (data === undefined) return;
  const listed = addListedGroups(b, data, file, issues);
  if (listed.hostvars) {
    for (const h of listed.hosts) addHostVars(b, h, listed.hostvars[h], file, issues);
    return;
  }
  const todo = [...listed.hosts];
  const worker = async (): Promise<void> => {
    for (let h = todo.shift(); h !== undefined; h = todo.shift()) {
      const out = await call(file, ['--host', h], issue);
      // Ansible takes empty output as no variables.
      const vars = out && out.stdout.trim() !== '' ? parseJson(out, file, `--host ${h}`, issue) : undefined;
      addHostVars(b, h, vars, file, issues);
    }
  };
  await Promise.all(Array.from({ length: HOST_CALLS_AT_ONCE }, worker));
}

async function call(file: string, args: string[], issue: (m: string) => void): Promise<ProgramOutput | undefined> {
  const path = resolve(file);
  try {
    return await runProgram(path, args, {
      cwd: dirname(path),
      timeoutMs: SCRIPT_TIMEOUT_MS,
      maxOutputBytes: LIMITS.inputBytes,
    });
  } catch (e) {
    issue(`inventory script failed: ${(e as Error).message}`);
    return undefined;
  }
}

function parseJson(out: ProgramOutput, file: string, args: string, issue: (m: string) => void): unknown {
  try {
    return fromAnsibleJson(JSON.parse(out.stdout), file);
  } catch (e) {
    issue(`\`${file} ${args}\` printed invalid JSON (${jsonError(e)})${stderrHead(out.stderr)}`);
    return undefined;
  }
}
