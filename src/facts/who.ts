/**
 * Who is on the box now: `w` (with what each session runs) and `who`. Both read utmp, which an
 * attacker with root can edit, so these are leads, not proof. Findings: `login.active`, one per
 * session; a session from a remote address is `low`, a local one `info`.
 */
import type { Finding } from '../core/index.js';
import { defineFact } from './fact.js';
import { finding, lines } from './text.js';

/**
 * `w` with full user names and addresses (procps reads the column widths from the environment;
 * `-i` prints addresses instead of names).
 */
const W_COMMAND = 'LC_ALL=C PROCPS_USERLEN=32 PROCPS_FROMLEN=64 w -i 2>/dev/null || LC_ALL=C w'; // old procps (RHEL 6) has no -i
/** `who`: in the C locale the time is `Nov 21 19:53`; other locales print `2026-11-21 19:53`. */
const WHO_COMMAND = 'LC_ALL=C who';

export interface ActiveLogin {
  user: string;
  tty: string;
  /** Remote address or host; empty for a local login. */
  from: string;
  /** As printed: `19:53`, `Mon19`, `21Nov26` (w) or `Nov 21 19:53` / `2026-11-21 19:53` (who). */
  loginAt: string;
  /** `w` only. */
  idle?: string;
  /** `w` only: the session's current command. */
  what?: string;
}

/** `who` and `who -a` (a message-status column, idle and PID before the address); boot and run-level lines start with blanks. */
const WHO_LINE =
  /^(\S+)\s+(?:[-+?]\s+)?(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d)(?:\s+\S+)*?(?:\s+\(([^)]*)\))?\s*$/;

export function parseWho(text: string): ActiveLogin[] {
  const out: ActiveLogin[] = [];
  for (const line of lines(text)) {
    const m = WHO_LINE.exec(line);
    if (!m || m[1] === 'LOGIN') continue; // LOGIN: a getty waiting at a console, nobody logged in
    out.push({
      user: m[1] as string,
      tty: m[2] as string,
      from: localFrom(m[4] ?? ''),
      loginAt: (m[3] as string).replace(/\s+/g, ' '),
    });
  }
  return out;
}

/** `-`, `:0`, `:0.0` and `0.0.0.0` all mean "not from the network". */
function localFrom(from: string): string {
  return from === '-' || from === '0.0.0.0' || /^:\d+(?:\.\d+)?$/.test(from) ? '' : from;
}

/**
 * `w`: the header names the columns; FROM may be missing (`w -f` toggles it), WHAT is the rest of
 * the line. The uptime line and anything before the header are skipped.
 */
export function parseW(text: string): ActiveLogin[] {
  const out: ActiveLogin[] = [];
  let hasFrom: boolean | undefined;
  for (const line of lines(text)) {
    if (/^USER\s+TTY\s/.test(line)) {
      hasFrom = /\sFROM\s/.test(line);
      continue;
    }
    if (hasFrom === undefined || line.trim() === '') continue;
    const cols = hasFrom ? 7 : 6;
    const parts = line.trim().split(/\s+/);
    if (parts.length < cols) continue;
    const [user, tty] = parts as [string, string];
    const from = hasFrom ? (parts[2] as string) : '';
    const rest = parts.slice(hasFrom ? 3 : 2);
    out.push({
      user,
      tty,
      from: localFrom(from),
      loginAt: rest[0] as string,
      idle: rest[1] as string,
      what: rest.slice(4).join(' '),
    });
  }
  return out;
}

export function activeLoginFindings(host: string, logins: readonly ActiveLogin[]): Finding[] {
  return logins.map((l) => {
    const where = l.from ? `from ${l.from}` : 'locally';
    const detail: Finding['detail'] = { user: l.user, tty: l.tty, from: l.from, loginAt: l.loginAt };
    if (l.idle !== undefined) detail.idle = l.idle;
    if (l.what !== undefined) detail.what = l.what;
    const doing = l.what ? `, running ${l.what}` : '';
    return finding(
      host,
      'login.active',
      l.from ? 'low' : 'info',
      `${l.user} logged in on ${l.tty} ${where} since ${l.loginAt}${doing}`,
      detail,
    );
  });
}

export const wFact = defineFact({ label: 'users/w', command: W_COMMAND, parse: parseW, findings: activeLoginFindings });

/** The same sessions as `w`, recorded as a second witness; `w`'s findings already name each one. */
export const whoFact = defineFact({ label: 'users/who', command: WHO_COMMAND, parse: parseWho });
