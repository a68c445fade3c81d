/**
 * sshd lines of `/var/log/auth.log` (Debian, Ubuntu), `/var/log/secure` (RHEL family) or the
 * journal. Reads both timestamp styles: classic syslog (`Nov 21 19:25:06 host sshd[59]: …`) and
 * the RFC 3339 one of Debian 12's rsyslog (`2026-11-21T19:25:06.675017+00:00 host sshd[59]: …`),
 * and rsyslog's `message repeated N times: [ … ]`.
 *
 * Counting: every `Failed <method>` line is an attempt; a connection that only shows `Invalid
 * user` or `… not allowed because …` (key-only servers, where no password is ever asked) counts
 * once. The address is taken from the end of the line, so a user name such as
 * `x from 10.0.0.1 port 1 ssh2` cannot forge it.
 */
import type { Finding } from '../core/index.js';
import { defineFact } from './fact.js';
import {
  aggregateFailures,
  failedLoginFindings,
  sortableLastDate,
  type FailedAttempt,
  type FailedLoginThresholds,
} from './failed-logins.js';
import { lines } from './text.js';

export interface AuthEvent {
  kind: 'failed' | 'invalid-user' | 'not-allowed' | 'accepted';
  user: string;
  address: string;
  port?: number;
  /** `password`, `publickey`, `keyboard-interactive/pam`… (failed and accepted). */
  method?: string;
  /** The user did not exist (`Failed password for invalid user …`). */
  invalidUser: boolean;
  /** Timestamp as logged. */
  at: string;
  /** sshd's PID: one pre-auth connection. */
  pid?: number;
  /** rsyslog folded this many identical lines into one. */
  count: number;
}

const PREFIX =
  /^(\d{4}-\d\d-\d\dT\S+|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)\s+(?:\S+\s+)?(?:sshd(?:-session|-auth)?)\[(\d+)\]:\s+(.*)$/;
const REPEATED = /^message repeated (\d+) times: \[\s*(.*?)\s*\]$/;
const FAILED = /^Failed (\S+) for (invalid user )?(.*?) from (\S+?)(?: port (\d+))?(?: ssh\d?)?(?:: .*)?$/;
const INVALID = /^Invalid user (.*?) from (\S+?)(?: port (\d+))?\s*$/;
const NOT_ALLOWED = /^User (.*?) from (\S+) not allowed because /;
const ACCEPTED = /^Accepted (\S+) for (.*?) from (\S+) port (\d+)(?: ssh\d?)?(?:: .*)?$/;

function event(
  kind: AuthEvent['kind'],
  at: string,
  pid: number,
  count: number,
  user: string,
  address: string,
  extra: Partial<AuthEvent> = {},
): AuthEvent {
  return {
    kind,
    user,
    address: address.replace(/^::ffff:(?=\d+\.)/, ''),
    invalidUser: false,
    at,
    pid,
    count,
    ...extra,
  };
}

export function parseAuthLog(text: string): AuthEvent[] {
  const out: AuthEvent[] = [];
  for (const line of lines(text)) {
    const p = PREFIX.exec(line);
    if (!p) continue;
    const at = p[1] as string;
    const pid = Number(p[2]);
    let msg = (p[3] as string).trim();
    let count = 1;
    const rep = REPEATED.exec(msg);
    if (rep) {
      count = Number(rep[1]);
      msg = rep[2] as string;
    }
    let m: RegExpExecArray | null;
    if ((m = FAILED.exec(msg))) {
      if (m[1] === 'none') continue; // the client asking which methods exist, not a credential
      const e = event('failed', at, pid, count, m[3] as string, m[4] as string, {
        method: m[1] as string,
        invalidUser: m[2] !== undefined,
      });
      if (m[5]) e.port = Number(m[5]);
      out.push(e);
    } else if ((m = INVALID.exec(msg))) {
      const e = event('invalid-user', at, pid, count, m[1] as string, m[2] as string, { invalidUser: true });
      if (m[3]) e.port = Number(m[3]);
      out.push(e);
    } else if ((m = NOT_ALLOWED.exec(msg))) {
      out.push(event('not-allowed', at, pid, count, m[1] as string, m[2] as string));
    } else if ((m = ACCEPTED.exec(msg))) {
      out.push(
        event('accepted', at, pid, count, m[2] as string, m[3] as string, {
          method: m[1] as string,
          port: Number(m[4]),
        }),
      );
    }
  }
  return out;
}

/** `Nov 21 19:25:06` → `0000-11-21 19:25:06`; RFC 3339 stamps sort as they are. */
function sortKey(at: string): string {
  return /^\d{4}-/.test(at) ? at : sortableLastDate(`Mon ${at}`);
}

/** Failed attempts, one connection (PID + address) at a time; see the module comment for the rule. */
export function failedAttempts(events: readonly AuthEvent[]): FailedAttempt[] {
  const conns = new Map<string, { failed: AuthEvent[]; marker?: AuthEvent }>();
  for (const e of events) {
    if (e.kind === 'accepted') continue;
    const key = `${e.pid ?? ''}\u0000${e.address}`;
    const c = conns.get(key) ?? { failed: [] };
    if (e.kind === 'failed') c.failed.push(e);
    else c.marker ??= e;
    conns.set(key, c);
  }
  const out: FailedAttempt[] = [];
  for (const c of conns.values()) {
    const used = c.failed.length ? c.failed : c.marker ? [c.marker] : [];
    for (const e of used)
      out.push({
        address: e.address,
        user: e.user,
        at: e.at,
        sortKey: sortKey(e.at),
        count: e.kind === 'failed' ? e.count : 1,
      });
  }
  return out;
}

export function authLogFindings(
  host: string,
  events: readonly AuthEvent[],
  thresholds?: FailedLoginThresholds,
): Finding[] {
  const accepted = events.filter((e) => e.kind === 'accepted');
  return failedLoginFindings(host, aggregateFailures(failedAttempts(events), accepted), thresholds);
}

/** RHEL's name for the auth log; read together with auth.log (see {@link authLogFact}). */
export const secureLogFact = defineFact({ label: 'logs/secure', file: '/var/log/secure', parse: parseAuthLog });

/**
 * Failed logins per source from `/var/log/auth.log` and `/var/log/secure` together (a host has one
 * or the other); `users/lastb` counts instead when neither holds sshd lines.
 */
export const authLogFact = defineFact<AuthEvent[], { secure: AuthEvent[] }>({
  label: 'logs/auth.log',
  file: '/var/log/auth.log',
  parse: parseAuthLog,
  needs: { secure: secureLogFact },
  findings: (host, events, { secure }) => authLogFindings(host, [...events, ...(secure ?? [])]),
});
