/**
 * Disk use from `df -hPT` (blocks) and `df -iPT` (inodes), POSIX format with a type column. A
 * full disk stops logging and databases and is a common "the server fell over" cause that is
 * not an attack. `disk.usage` at 90 % (blocks or inodes), high at 98 %. Read-only images that
 * are always full (squashfs snaps, ISO) are skipped.
 */
import type { Finding, FindingSeverity } from '../core/index.js';
import { defineFact } from './fact.js';
import { finding, lines } from './text.js';

const DISK_COMMAND = 'LC_ALL=C df -hPT; LC_ALL=C df -iPT';

export interface DiskUsage {
  filesystem: string;
  /** Empty when `df` printed no Type column. */
  type: string;
  mount: string;
  /** `blocks` (Size/Used/Avail) or `inodes` (Inodes/IUsed/IFree). */
  measure: 'blocks' | 'inodes';
  size: string;
  used: string;
  available: string;
  /** Undefined when df prints `-` (no inode accounting, e.g. btrfs, vfat). */
  percent?: number;
}

const ALWAYS_FULL = new Set(['squashfs', 'iso9660', 'udf', 'cramfs']);

export function parseDf(text: string): DiskUsage[] {
  const out: DiskUsage[] = [];
  let measure: DiskUsage['measure'] = 'blocks';
  let typed = false;
  for (const line of lines(text)) {
    if (/^Filesystem\s/.test(line)) {
      measure = /\bInodes\b/.test(line) ? 'inodes' : 'blocks';
      typed = /\sType\s/.test(line);
      continue;
    }
    const parts = line.trim().split(/\s+/);
    const n = typed ? 7 : 6;
    if (parts.length < n) continue;
    const o = typed ? 1 : 0;
    const pct = parts[4 + o] as string;
    if (!/^(?:\d+%|-)$/.test(pct)) continue;
    const rec: DiskUsage = {
      filesystem: parts[0] as string,
      type: typed ? (parts[1] as string) : '',
      mount: parts.slice(5 + o).join(' '),
      measure,
      size: parts[1 + o] as string,
      used: parts[2 + o] as string,
      available: parts[3 + o] as string,
    };
    if (pct !== '-') rec.percent = Number(pct.slice(0, -1));
    out.push(rec);
  }
  return out;
}

export function diskFindings(
  host: string,
  usage: readonly DiskUsage[],
  options: { warnPercent?: number; highPercent?: number } = {},
): Finding[] {
  const warn = options.warnPercent ?? 90;
  const high = options.highPercent ?? 98;
  const out: Finding[] = [];
  for (const d of usage) {
    if (d.percent === undefined || d.percent < warn || ALWAYS_FULL.has(d.type) || /^\/snap\//.test(d.mount)) continue;
    const severity: FindingSeverity = d.percent >= high ? 'high' : 'medium';
    const what = d.measure === 'inodes' ? 'inodes' : 'space';
    const summary = `${d.mount} ${d.percent} % ${what} used (${d.used} of ${d.size}, ${d.filesystem})`;
    out.push(
      finding(host, 'disk.usage', severity, summary, {
        mount: d.mount,
        filesystem: d.filesystem,
        type: d.type,
        measure: d.measure,
        percent: d.percent,
        size: d.size,
        used: d.used,
        available: d.available,
      }),
    );
  }
  return out;
}

export const dfFact = defineFact({
  label: 'system/df',
  command: DISK_COMMAND,
  parse: parseDf,
  findings: (host, usage) => diskFindings(host, usage),
});
