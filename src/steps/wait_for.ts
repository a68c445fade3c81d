/**
 * `wait_for`: wait until the SSH connection works again (`connection: true`), a TCP port accepts
 * connections (`port`, `host`), or a command exits 0 (`command`). Port and command waits are one
 * remote loop bounded both in attempts and in seconds.
 */
import { z } from 'zod';
import { quote } from '../core/index.js';
import { defineStepType, durationSchema } from './define.js';

/** Defaults like Ansible's wait_for: 5 minutes, polling every second. */
export const WAIT_DEFAULT_TIMEOUT_MS = 300_000;
export const WAIT_DEFAULT_DELAY_MS = 1_000;

const schema = z
  .strictObject({
    connection: z.literal(true).optional().describe('Wait until the SSH connection can be re-opened'),
    port: z.number().int().min(1).max(65535).optional().describe('Wait until this TCP port accepts connections'),
    host: z
      .string()
      .min(1)
      .optional()
      .describe('Host to test the port on, as seen from the target (default 127.0.0.1)'),
    command: z.string().min(1).optional().describe('Wait until this shell command exits 0; {{x}} is shell-quoted'),
    timeout: durationSchema.optional().describe('Give up after this long (default 5m)'),
    delay: durationSchema.optional().describe('Pause between attempts (default 1s)'),
  })
  .superRefine((v, ctx) => {
    const modes = (['connection', 'port', 'command'] as const).filter((k) => v[k] !== undefined);
    if (modes.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `wait_for needs exactly one of connection, port, command (got ${modes.length ? modes.join(', ') : 'none'})`,
      });
    }
    if (v.host !== undefined && v.port === undefined)
      ctx.addIssue({ code: 'custom', path: ['host'], message: 'host is only used with port' });
  });

const seconds = (ms: number) => String(Math.max(ms, 1) / 1000);

/** A POSIX sh loop: run `test` until it succeeds, at most `attempts` times and `timeoutMs`. */
export function boundedLoop(test: string, timeoutMs: number, delayMs: number, what: string): string {
  const attempts = Math.max(1, Math.ceil(timeoutMs / Math.max(delayMs, 1)) + 1);
  const secs = Math.ceil(timeoutMs / 1000);
  return [
    `end=$(( $(date +%s) + ${secs} )); i=0`,
    `while [ "$i" -lt ${attempts} ]; do if ${test}; then exit 0; fi; i=$((i+1)); [ "$(date +%s)" -ge "$end" ] && break; sleep ${seconds(delayMs)}; done`,
    `echo ${quote(`wait_for: ${what} not ready after ${secs}s`)} >&2; exit 1`,
  ].join('; ');
}

/** Test a TCP port: bash's /dev/tcp (bounded by `timeout` when present), else `nc -z`. */
export function portProbe(host: string, port: number): string {
  const h = quote(host);
  const bashProbe = `bash -c 'exec 3<>"/dev/tcp/$0/$1"' ${h} ${port}`;
  return `{ { command -v timeout >/dev/null 2>&1 && timeout 5 ${bashProbe} || ${bashProbe}; } 2>/dev/null || nc -z -w 5 ${h} ${port} 2>/dev/null; }`;
}

export const waitFor = defineStepType({
  type: 'wait_for',
  description: 'Wait for the connection, a TCP port, or a command to succeed, up to a timeout',
  schema,
  shellFields: ['command'],
  changes: false,
  rerunSafe: true,
  plan(p) {
    const timeoutMs = p.timeout ?? WAIT_DEFAULT_TIMEOUT_MS;
    const delayMs = p.delay ?? WAIT_DEFAULT_DELAY_MS;
    if (p.connection) return [{ kind: 'reconnect', timeoutMs, delayMs }];
    if (p.port !== undefined) {
      const host = p.host ?? '127.0.0.1';
      return [
        { kind: 'exec', command: boundedLoop(portProbe(host, p.port), timeoutMs, delayMs, `port ${host}:${p.port}`) },
      ];
    }
    return [{ kind: 'exec', command: boundedLoop(`( ${p.command} )`, timeoutMs, delayMs, 'command') }];
  },
});
