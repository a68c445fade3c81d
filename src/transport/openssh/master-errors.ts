/**
 * Why a ControlMaster did not come up, read from its stderr (LogLevel DEBUG1), as a ConnectionError
 * with the same reasons and wording as the ssh2 path: unknown host key mentions --accept-new, a
 * changed (or revoked) key is a possible man-in-the-middle. A pure function, tested on real output.
 */
import { ConnectionError } from '../../core/errors.js';

/**
 * `TYPE SHA256:...` of the key the master verified, from its debug line ("Server host key:", or
 * "Server host certificate:" for a certified host key), if it got that far.
 */
export function serverHostKey(log: string): string | undefined {
  const m = /^debug1: Server host (?:key|certificate): (\S+) (SHA256:[A-Za-z0-9+/=]+)/m.exec(log);
  return m ? `${m[1]} ${m[2]}` : undefined;
}

/** The lines ssh meant for people (not its debug trace), last few only. */
function said(log: string, max = 6): string {
  const lines = log
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() && !/^debug\d:/.test(l) && !/^@+$/.test(l.trim()));
  return lines.slice(-max).join(' / ');
}

export function masterFailure(hostName: string, destination: string, log: string): ConnectionError {
  const key = serverHostKey(log);
  const text = said(log);
  const detail = text ? ` (ssh: ${text})` : '';
  const err = (message: string, reason: ConnectionError['reason']) => new ConnectionError(hostName, message, reason);
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|POSSIBLE DNS SPOOFING|revoked/i.test(log)) {
    const where = /Offending \S+ key in (\S+:\d+)/.exec(log)?.[1];
    return err(
      `REMOTE HOST IDENTIFICATION HAS CHANGED for ${destination}: it presented ${key ?? 'a different key'}` +
        `${where ? `, which does not match ${where}` : ''}. Possible man-in-the-middle attack; refusing to connect.` +
        `${/revoked/i.test(log) ? ' The key is marked @revoked.' : ''}${detail}`,
      'hostkey-changed',
    );
  }
  if (/host key is known for|Host key verification failed/i.test(log)) {
    return err(
      `host key of ${destination} is not known${key ? ` (${key})` : ''}. Verify it out of band and add it to ` +
        `known_hosts, or run with --accept-new to trust it on first use.${detail}`,
      'hostkey-unknown',
    );
  }
  if (/Permission denied \(|Too many authentication failures/i.test(log))
    return err(`authentication failed for ${destination}${detail}`, 'auth');
  if (/Could not resolve hostname/i.test(log)) return err(`cannot resolve ${destination}${detail}`, 'dns');
  if (/Connection refused/i.test(log)) return err(`connection refused by ${destination}${detail}`, 'refused');
  if (/timed out/i.test(log)) return err(`timed out connecting to ${destination}${detail}`, 'timeout');
  if (/Connection closed by|Connection reset|kex_exchange_identification|Broken pipe/i.test(log))
    return err(`connection to ${destination} closed during handshake${detail}`, 'closed');
  return err(`cannot connect to ${destination}${detail || ' (ssh exited without saying why)'}`, 'other');
}
