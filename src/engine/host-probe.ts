/**
 * The acquisition record of a host: before the first evidence command on it, one read-only command
 * asks what the host says of itself (name, kernel, OS, login user, clock, time zone) and the
 * connection adds the host key it was verified with. Nothing of the host's is run or sourced: a
 * compromised /etc/os-release is read with sed, not `.`.
 */
import type { HostRecord } from '../evidence/index.js';
import type { HostSession } from './session.js';

/** `key=value` lines; every value is one line (newlines and tabs in hostile values become spaces). */
export const HOST_PROBE = [
  `one() { printf '%s=%s\\n' "$1" "$(printf '%s' "$2" | tr '\\n\\t' '  ')"; }`,
  'one hostname "$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname 2>/dev/null)"',
  'one kernel "$(uname -srm 2>/dev/null)"',
  `one os "$(sed -n 's/^PRETTY_NAME=//p' /etc/os-release 2>/dev/null | head -n 1 | tr -d '"')"`,
  'one user "$(id -un 2>/dev/null)"',
  'one epoch "$(date -u +%s)"',
  `one timezone "$(cat /etc/timezone 2>/dev/null || readlink /etc/localtime 2>/dev/null | sed 's|.*/zoneinfo/||') $(date +%z)"`,
].join('; ');

const FIELDS = ['hostname', 'kernel', 'os', 'user', 'timezone'] as const;

/** Parse the probe's output into the record's fields (the clocks are the caller's). */
export function parseHostProbe(stdout: string): Partial<HostRecord> & { epoch?: number } {
  const out: Partial<HostRecord> & { epoch?: number } = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 1) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (!value) continue;
    if (key === 'epoch' && /^\d+$/.test(value)) out.epoch = Number(value);
    else if ((FIELDS as readonly string[]).includes(key)) out[key as (typeof FIELDS)[number]] = value.slice(0, 512);
  }
  return out;
}

/** Ask the host; never throws (a host that does not answer gets a record saying why). */
export async function probeHost(session: HostSession, timeoutMs: number, signal: AbortSignal): Promise<HostRecord> {
  const host = session.host.name;
  const hostKey = session.t.hostKey;
  const before = Date.now();
  const base = { host, ...(hostKey ? { hostKey } : {}) };
  try {
    const r = await session.t.exec(HOST_PROBE, { timeoutMs, signal });
    const middle = Math.round((before + Date.now()) / 2);
    const controllerClock = new Date(middle).toISOString();
    const { epoch, ...fields } = parseHostProbe(r.stdout);
    if (r.code !== 0 || r.timedOut)
      return { ...base, ...fields, controllerClock, error: r.timedOut ? 'timed out' : `exit ${r.code}` };
    return {
      ...base,
      ...fields,
      ...(epoch !== undefined
        ? {
            hostClock: new Date(epoch * 1000).toISOString(),
            clockSkewSeconds: epoch - Math.round(middle / 1000),
          }
        : {}),
      controllerClock,
    };
  } catch (err) {
    return { ...base, controllerClock: new Date(before).toISOString(), error: (err as Error).message };
  }
}
