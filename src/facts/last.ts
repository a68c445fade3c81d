/**
 * Login history from wtmp (`last`) and failed logins from btmp (`lastb`). Attackers often wipe
 * wtmp, so an empty or short history is itself worth a look. Works with util-linux `last`
 * (Debian, RHEL 7+) and the older sysvinit one (RHEL 6), with or without `-F`.
 *
 * Findings: `login.recent` for each user and address that logged in (root from the network is
 * `low`, the rest `info`); `login.failed` per source address from `lastb`.
 */
import type { Finding } from '../core/index.js';
import { authLogFact, secureLogFact, type AuthEvent } from './auth-log.js';
import { defineFact } from './fact.js';
import {
  aggregateFailures,
  failedLoginFindings,
  sortableLastDate,
  type FailedLoginThresholds,
} from './failed-logins.js';
import { finding, lines } from './text.js';

export interface LastRecord {
  kind: 'login' | 'reboot' | 'shutdown';
  user: string;
  tty: string;
  /** Address; empty for local logins (`0.0.0.0` with `-i`). */
  from: string;
  /** Kernel version, for reboot/shutdown lines without `-i`. */
  kernel?: string;
  /** As printed: `Sat Nov 21 16:40:12 2026` (`-F`) or `Sat Nov 21 16:40`. */
  start: string;
  end?: string;
  status: 'logged-out' | 'still-logged-in' | 'still-running' | 'gone' | 'crash' | 'down';
  /** `1+03:41` (days+hours:minutes). */
  duration?: string;
}

const DATE = String.raw`(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d(?::\d\d \d{4})?`;
const START = new RegExp(`\\s(${DATE})(?=\\s|$)`);
const IP_LIKE = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/;

function parseTail(tail: string): Pick<LastRecord, 'status' | 'end' | 'duration'> | undefined {
  const t = tail.trim();
  const duration = /\(([^)]*)\)\s*$/.exec(t)?.[1];
  const withDuration = <T extends object>(r: T): T & { duration?: string } => (duration ? { ...r, duration } : r);
  if (t.startsWith('still logged in')) return { status: 'still-logged-in' };
  if (t.startsWith('still running')) return { status: 'still-running' };
  if (t.startsWith('gone - no logout')) return { status: 'gone' };
  const m = /^-\s+(.*?)\s*(?:\([^)]*\))?\s*$/.exec(t);
  if (!m) return undefined;
  const end = m[1] as string;
  if (end === 'crash' || end === 'down') return withDuration({ status: end as 'crash' | 'down' });
  return withDuration({ status: 'logged-out' as const, end });
}

export function parseLast(text: string): LastRecord[] {
  const out: LastRecord[] = [];
  for (const line of lines(text)) {
    if (/^\s*(?:w|b)tmp(?:x)? begins/.test(line)) continue;
    const m = START.exec(line);
    if (!m || m.index === undefined) continue;
    const head = line.slice(0, m.index).trim().split(/\s+/).filter(Boolean);
    const tail = parseTail(line.slice(m.index + m[0].length));
    if (head.length < 2 || !tail) continue;
    const start = (m[1] as string).replace(/\s+/g, ' ');
    if (head[1] === 'system' && (head[2] === 'boot' || head[2] === 'down')) {
      const host = head.slice(3).join(' ');
      const rec: LastRecord = {
        kind: head[2] === 'boot' ? 'reboot' : 'shutdown',
        user: head[0] as string,
        tty: `system ${head[2]}`,
        from: '',
        start,
        ...tail,
      };
      if (host && !IP_LIKE.test(host)) rec.kernel = host;
      out.push(rec);
      continue;
    }
    if (head[0] === 'runlevel' || head[0] === 'shutdown') continue; // `-x` bookkeeping lines
    const three = head.length >= 3;
    const from = three ? (head.at(-1) as string) : '';
    out.push({
      kind: 'login',
      user: head.slice(0, three ? -2 : 1).join(' '),
      tty: head.at(three ? -2 : 1) as string,
      from: from === '0.0.0.0' || from === '::' ? '' : from,
      start,
      ...tail,
    });
  }
  return out;
}

/** One finding per user and address: how many sessions, the latest, and whether one is still open. */
export function lastFindings(host: string, records: readonly LastRecord[]): Finding[] {
  const groups = new Map<string, LastRecord[]>();
  for (const r of records) {
    if (r.kind !== 'login') continue;
    const key = `${r.user}\u0000${r.from}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rs) => {
    const latest = rs[0] as LastRecord; // last prints newest first
    const open = rs.filter((r) => r.status === 'still-logged-in').length;
    const where = latest.from ? `from ${latest.from}` : 'locally';
    const summary = `${latest.user} logged in ${where} ${rs.length} time${rs.length === 1 ? '' : 's'}, latest ${latest.start}${open ? ' (still logged in)' : ''}`;
    const detail: Finding['detail'] = {
      user: latest.user,
      from: latest.from,
      sessions: rs.length,
      latest: latest.start,
      stillLoggedIn: open,
      ttys: [...new Set(rs.map((r) => r.tty))],
    };
    return finding(host, 'login.recent', latest.user === 'root' && latest.from ? 'low' : 'info', summary, detail);
  });
}

/** `lastb` lines are failed attempts; each line is one (sshd also writes one for an unknown user's first try). */
export function lastbFindings(
  host: string,
  records: readonly LastRecord[],
  thresholds?: FailedLoginThresholds,
): Finding[] {
  const attempts = records
    .filter((r) => r.kind === 'login')
    .map((r) => ({ address: r.from, user: r.user, at: r.start, sortKey: sortableLastDate(r.start) }));
  return failedLoginFindings(host, aggregateFailures(attempts), thresholds);
}

/** Full times with year (`-F`), addresses not names (`-i`), full user names (`-w`). */
export const lastFact = defineFact({
  label: 'users/last',
  command: 'LC_ALL=C last -Fiw',
  parse: parseLast,
  findings: lastFindings,
});

/**
 * Failed logins from btmp, only when the auth logs hold no sshd lines: one count per source, and
 * the logs say more (which users then logged in).
 */
export const lastbFact = defineFact<LastRecord[], { authLog: AuthEvent[]; secure: AuthEvent[] }>({
  label: 'users/lastb',
  command: 'LC_ALL=C lastb -Fiw',
  parse: parseLast,
  needs: { authLog: authLogFact, secure: secureLogFact },
  findings: (host, records, { authLog, secure }) =>
    (authLog?.length ?? 0) + (secure?.length ?? 0) > 0 ? [] : lastbFindings(host, records),
});
