/**
 * Failed logins per source address, whether counted from `lastb` or from sshd's log lines. The
 * "host is being brute-forced" signal of the incident procedure: severity rises with the count,
 * and a source that also logged in successfully after failing many times is critical.
 */
import type { Finding, FindingSeverity } from '../core/index.js';
import { finding, shortList } from './text.js';

export interface FailedLoginSource {
  /** Remote address (or host name when the log had no address); `local` for console logins. */
  address: string;
  attempts: number;
  /** User names tried, most tried first. */
  users: string[];
  /** Timestamps as the source prints them. */
  firstSeen?: string;
  lastSeen?: string;
  /** Users that then logged in successfully from this address (auth logs only). */
  acceptedUsers: string[];
}

export interface FailedLoginThresholds {
  /** Attempts from one address for `low` (default 5), `medium` (20) and `high` (100). */
  low?: number;
  medium?: number;
  high?: number;
}

/** One failed attempt (or `count` identical ones). `sortKey` orders timestamps of one source. */
export interface FailedAttempt {
  address: string;
  user: string;
  at?: string;
  sortKey?: string;
  count?: number;
}

/** Add up attempts per address, busiest first. */
export function aggregateFailures(
  attempts: Iterable<FailedAttempt>,
  accepted: Iterable<{ address: string; user: string }> = [],
): FailedLoginSource[] {
  const by = new Map<
    string,
    { attempts: number; users: Map<string, number>; first?: FailedAttempt; last?: FailedAttempt; accepted: Set<string> }
  >();
  const entry = (address: string) => {
    const e = by.get(address) ?? { attempts: 0, users: new Map<string, number>(), accepted: new Set<string>() };
    by.set(address, e);
    return e;
  };
  for (const a of attempts) {
    const e = entry(a.address || 'local');
    const n = a.count ?? 1;
    e.attempts += n;
    e.users.set(a.user, (e.users.get(a.user) ?? 0) + n);
    const key = a.sortKey ?? a.at;
    if (a.at !== undefined && key !== undefined) {
      if (!e.first || key < (e.first.sortKey ?? e.first.at ?? '')) e.first = a;
      if (!e.last || key >= (e.last.sortKey ?? e.last.at ?? '')) e.last = a;
    }
  }
  for (const a of accepted) by.get(a.address || 'local')?.accepted.add(a.user);
  return [...by.entries()]
    .map(([address, e]) => {
      const s: FailedLoginSource = {
        address,
        attempts: e.attempts,
        users: [...e.users.entries()].sort((x, y) => y[1] - x[1]).map(([u]) => u),
        acceptedUsers: [...e.accepted],
      };
      if (e.first?.at) s.firstSeen = e.first.at;
      if (e.last?.at) s.lastSeen = e.last.at;
      return s;
    })
    .sort((a, b) => b.attempts - a.attempts || a.address.localeCompare(b.address));
}

export function failedLoginFindings(
  host: string,
  sources: readonly FailedLoginSource[],
  thresholds: FailedLoginThresholds = {},
): Finding[] {
  const low = thresholds.low ?? 5;
  const medium = thresholds.medium ?? 20;
  const high = thresholds.high ?? 100;
  return sources.map((s) => {
    let severity: FindingSeverity =
      s.attempts >= high ? 'high' : s.attempts >= medium ? 'medium' : s.attempts >= low ? 'low' : 'info';
    if (s.acceptedUsers.length && s.attempts >= low) severity = 'critical';
    const detail: Finding['detail'] = {
      address: s.address,
      attempts: s.attempts,
      users: s.users,
      acceptedUsers: s.acceptedUsers,
    };
    if (s.firstSeen) detail.firstSeen = s.firstSeen;
    if (s.lastSeen) detail.lastSeen = s.lastSeen;
    const then = s.acceptedUsers.length ? `; then logged in as ${s.acceptedUsers.join(', ')}` : '';
    const summary = `${s.attempts} failed login${s.attempts === 1 ? '' : 's'} from ${s.address} (users ${shortList(s.users)})${then}`;
    return finding(host, 'login.failed', severity, summary, detail);
  });
}

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

/** `Sat Nov 21 19:41:54 2026` → `2026-11-21 19:41:54` (no year → `0000-…`), for ordering. */
export function sortableLastDate(d: string): string {
  const m = /^\w{3} (\w{3}) +(\d+) (\d\d:\d\d(?::\d\d)?)(?: (\d{4}))?$/.exec(d);
  if (!m) return d;
  const month = String(MONTHS.indexOf(m[1] as string) / 3 + 1).padStart(2, '0');
  return `${m[4] ?? '0000'}-${month}-${(m[2] as string).padStart(2, '0')} ${m[3]}`;
}
