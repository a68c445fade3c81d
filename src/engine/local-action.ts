/**
 * Applying a `local` action: a command on the controller (a rebuild hook), bounded by the step
 * timeout, its output returned like a remote command's so the step's result and files show it.
 */
import { spawn } from 'node:child_process';
import type { ExecResult } from '../core/index.js';

export function runLocal(
  command: string,
  timeoutMs: number,
  signal: AbortSignal,
  env: Record<string, string>,
): Promise<ExecResult> {
  const startedAt = new Date();
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const cap = 4 * 1024 * 1024;
    child.stdout.setEncoding('utf8').on('data', (c: string) => void (stdout.length < cap && (stdout += c)));
    child.stderr.setEncoding('utf8').on('data', (c: string) => void (stderr.length < cap && (stderr += c)));
    // Kill the hook's whole process group: a hook that hangs must not outlive the step.
    const kill = (): void => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    signal.addEventListener('abort', kill, { once: true });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', kill);
      resolve({
        command,
        code,
        signal: sig,
        stdout,
        stderr,
        stdoutBytes: Buffer.byteLength(stdout),
        stderrBytes: Buffer.byteLength(stderr),
        startedAt: startedAt.toISOString(),
        durationMs: Date.now() - startedAt.getTime(),
        timedOut,
      });
    });
    child.on('error', (err) => {
      stderr += String(err);
    });
  });
}
