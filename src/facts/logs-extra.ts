/**
 * Logs beyond the current syslog files (evidence only, UAC `files/logs`, `live_response/system/
 * journalctl`): a listing of everything under /var/log and /run/log (rotated and compressed files
 * included), the systemd journal, the audit log and the rotated authentication logs, uncompressed.
 * The files themselves, every one up to 1 GiB, are in the heavy `files` set (files-scratch.ts).
 */
import { defineFact } from './fact.js';
import { capStream, MiB } from './sh.js';

export const varLogListingFact = defineFact({
  label: 'logs/listing',
  command: String.raw`find /var/log /run/log -xdev -printf '%TY-%Tm-%Td %TT\t%M\t%u:%g\t%s\t%p\n' 2>/dev/null | ${capStream(16 * MiB)}`,
});

/** The journal's boots and its last 200,000 entries (UTC, microseconds), 256 MiB at most. */
export const journalFact = defineFact({
  label: 'logs/journal',
  requires: 'journalctl',
  command:
    "echo '==> journalctl --list-boots <=='; journalctl --no-pager --list-boots 2>&1 | tail -n 50; " +
    `echo '==> journalctl -n 200000 <=='; journalctl --no-pager -q --utc -o short-iso-precise -n 200000 2>&1 | ${capStream(256 * MiB)}`,
});

/** The current audit log's last 256 MiB (its rotated files are in the `files` set). */
export const auditLogFact = defineFact({
  label: 'logs/audit',
  command: String.raw`f=/var/log/audit/audit.log; if [ -f "$f" ]; then s=$(wc -c < "$f"); [ "$s" -le 268435456 ] || echo "# truncated: the last 268435456 bytes of $s"; tail -c 268435456 -- "$f"; else echo "# no $f"; fi`,
});

/** Rotated auth.log / secure files, uncompressed, 64 MiB each: the logins before the current file. */
export const rotatedAuthFact = defineFact({
  label: 'logs/auth-rotated',
  command:
    'for f in /var/log/auth.log.* /var/log/secure-* /var/log/secure.*; do [ -f "$f" ] || continue; ' +
    `printf '==> %s <==\\n' "$f"; zcat -f -- "$f" 2>&1 | ${capStream(64 * MiB)}; echo; done`,
});
