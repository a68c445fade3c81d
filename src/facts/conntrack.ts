/**
 * Connection tracking: when the table is full the kernel drops new connections and logs
 * `nf_conntrack: table full, dropping packet`, which looks like an attack from outside. The
 * command prints the count and the maximum (nothing when the module is not loaded) and how many
 * such kernel lines there are. `conntrack.usage`: above 80 % medium, above 95 % or any drop high.
 */
import type { Finding, FindingSeverity } from '../core/index.js';
import { defineFact } from './fact.js';
import { finding, lines } from './text.js';

/**
 * The kernel lines come from the host's own kernel log files when it keeps them (in a container or
 * namespace `dmesg` shows the machine's shared ring), else the journal, else `dmesg`.
 */
const CONNTRACK_COMMAND =
  'cat /proc/sys/net/netfilter/nf_conntrack_count /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null; ' +
  `echo "dropped_lines $({ if [ -e /var/log/kern.log ] || [ -e /var/log/messages ]; then cat /var/log/kern.log /var/log/messages; ` +
  `else journalctl -k -q --no-pager || dmesg; fi; } 2>/dev/null | grep -c 'table full, dropping packet')"`;

export interface ConntrackUsage {
  /** Undefined when the module is not loaded (no /proc entries). */
  count?: number;
  max?: number;
  /** Kernel log lines saying the table was full. */
  droppedLines: number;
}

/**
 * Reads the command's output: two bare numbers (count, then max), a `dropped_lines N` line, and —
 * when given kernel log text instead — each `table full, dropping packet` line counts one.
 */
export function parseConntrack(text: string): ConntrackUsage {
  const numbers: number[] = [];
  let dropped = 0;
  for (const line of lines(text)) {
    const t = line.trim();
    if (/^\d+$/.test(t)) numbers.push(Number(t));
    const d = /^dropped_lines (\d+)$/.exec(t);
    if (d) dropped += Number(d[1]);
    else if (/table full, dropping packet/.test(t)) dropped++;
  }
  const usage: ConntrackUsage = { droppedLines: dropped };
  if (numbers.length >= 2) {
    usage.count = numbers[0] as number;
    usage.max = numbers[1] as number;
  }
  return usage;
}

export function conntrackFindings(
  host: string,
  u: ConntrackUsage,
  options: { warnPercent?: number; highPercent?: number } = {},
): Finding[] {
  const warn = options.warnPercent ?? 80;
  const highPct = options.highPercent ?? 95;
  const percent = u.count !== undefined && u.max ? Math.round((u.count / u.max) * 1000) / 10 : undefined;
  if ((percent === undefined || percent <= warn) && u.droppedLines === 0) return [];
  const severity: FindingSeverity =
    u.droppedLines > 0 || (percent !== undefined && percent >= highPct) ? 'high' : 'medium';
  const used = percent !== undefined ? `${u.count}/${u.max} tracked connections (${percent} %)` : 'connection tracking';
  const drops = u.droppedLines
    ? `; ${u.droppedLines} kernel line${u.droppedLines === 1 ? '' : 's'} "table full, dropping packet"`
    : '';
  const detail: Finding['detail'] = { droppedLines: u.droppedLines };
  if (u.count !== undefined) detail.count = u.count;
  if (u.max !== undefined) detail.max = u.max;
  if (percent !== undefined) detail.percent = percent;
  return [finding(host, 'conntrack.usage', severity, `${used}${drops}`, detail)];
}

export const conntrackFact = defineFact({
  label: 'network/conntrack',
  command: CONNTRACK_COMMAND,
  parse: parseConntrack,
  findings: (host, usage) => conntrackFindings(host, usage),
});
