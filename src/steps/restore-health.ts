/**
 * Health checks after a restore, each its own exec action (so the plan and the failure name it),
 * retried once a second until it passes or its time is up: a TCP port that accepts a connection
 * (bash's /dev/tcp; `ss -ltn` when the host has no bash), an HTTP status (curl), a command's exit 0.
 */
import { z } from 'zod';
import { quote, type Action } from '../core/index.js';

export const healthSchema = z.union([
  z.strictObject({
    port: z.number().int().min(1).max(65535).describe('A TCP port that must accept connections'),
    host: z
      .string()
      .regex(/^[A-Za-z0-9.:_-]+$/, 'an address or host name')
      .default('127.0.0.1')
      .describe('Where to connect (default 127.0.0.1)'),
  }),
  z.strictObject({
    http: z
      .string()
      .regex(/^https?:\/\/\S+$/, 'an http:// or https:// URL')
      .describe('A URL to GET'),
    status: z
      .number()
      .int()
      .min(100)
      .max(599)
      .optional()
      .describe('The status it must answer (default: any 2xx or 3xx)'),
  }),
  z.strictObject({
    command: z.string().min(1).describe('A shell command that must exit 0; {{x}} is shell-quoted'),
  }),
]);

export type HealthCheck = z.output<typeof healthSchema>;

function probe(h: HealthCheck): { what: string; body: string; needs?: string } {
  if ('port' in h) {
    return {
      what: `TCP port ${h.port} on ${h.host}`,
      body: `if command -v bash >/dev/null 2>&1; then timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' ${quote(h.host)} ${h.port} 2>/dev/null; else ss -Hltn 'sport = :${h.port}' | grep -q .; fi`,
    };
  }
  if ('http' in h) {
    const ok =
      h.status !== undefined ? `[ "$fb_code" = ${h.status} ]` : 'case "$fb_code" in 2??|3??) true;; *) false;; esac';
    return {
      what: `GET ${h.http} answers ${h.status ?? '2xx/3xx'}`,
      body: `fb_code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 ${quote(h.http)} 2>/dev/null); ${ok}`,
      needs: 'curl',
    };
  }
  return { what: `command ${h.command}`, body: `sh -c ${quote(h.command)}` };
}

/** One check as an exec action: retried every second for `timeoutSec`. */
export function healthAction(h: HealthCheck, timeoutSec: number): Action {
  const { what, body, needs } = probe(h);
  const w = quote(what);
  const lines = [
    `# restore: health check: ${what.replace(/\s+/g, ' ')}`,
    ...(needs
      ? [
          `command -v ${needs} >/dev/null 2>&1 || { echo "restore: health: "${w}": ${needs} is not installed on the host" >&2; exit 1; }`,
        ]
      : []),
    `fb_try() { ${body}; }`,
    `fb_end=$(( $(date +%s) + ${timeoutSec} ))`,
    `until fb_try; do [ "$(date +%s)" -lt "$fb_end" ] || { echo "restore: health: "${w}": still failing after ${timeoutSec} s" >&2; exit 1; }; sleep 1; done`,
    `echo "health ok: "${w}`,
  ];
  return { kind: 'exec', command: lines.join('\n') };
}
