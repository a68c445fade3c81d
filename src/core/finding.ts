/**
 * A finding: one thing a parser concluded from collected output ("n003 has 14 outbound connections
 * to port 22"). Findings are journaled, so reports and later steps (kill_process, lock_user,
 * backup exclusions) read them instead of re-parsing output.
 */

export type FindingSeverity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export type FindingKind =
  | 'login.active' // a user logged in now (w/who)
  | 'login.recent' // a recent login (last)
  | 'login.failed' // failed logins from one source address (lastb/auth.log)
  | 'account.uid0' // a UID 0 account other than root
  | 'account.sudo' // a user with sudo rights (sudo/wheel group or sudoers)
  | 'ssh.authorized_key' // an authorized_keys entry
  | 'process.suspicious' // running from /tmp, /dev/shm, a deleted file, a borrowed name, or a script from a scratch/hidden/deleted path
  | 'network.outbound_ssh' // outbound connections to port 22, live (ss) or tracked by the kernel (conntrack): the "attacking others" signal
  | 'network.listener' // a listening socket
  | 'persistence.cron' // a crontab entry
  | 'persistence.systemd' // a non-packaged systemd unit or timer
  | 'persistence.preload' // an /etc/ld.so.preload entry
  | 'persistence.hidden' // a hidden file no package owns where programs are started from (cron, systemd, profile.d, …)
  | 'persistence.pam' // a PAM rule that runs a program, lets anyone in, or loads a module from elsewhere
  | 'persistence.hook' // a login-time or package-manager hook with a dropper's traits (download and run, /tmp, base64, reverse shell)
  | 'persistence.immutable' // a persistence or SSH file marked immutable or append-only (chattr)
  | 'file.privileged' // a SUID/SGID file or file capabilities in a scratch or home dir, or owned by no package
  | 'package.integrity' // a packaged file that fails verification
  | 'rootkit.warning' // chkrootkit/rkhunter warning or a built-in cross-check
  | 'conntrack.usage' // connection tracking use above 80 %
  | 'disk.usage'; // a filesystem above 90 %

export interface Finding {
  host: string;
  kind: FindingKind;
  severity: FindingSeverity;
  /** One line a responder can read: `14 outbound connections to port 22 (198.18.0.12, …)`. */
  summary: string;
  /** Structured detail for later steps and the report (pid, user, path, address, counts, …). */
  detail: Record<string, string | number | boolean | string[] | number[]>;
  /** The artifact it was read from: SHA-256 of the evidence store object, when stored. */
  evidence?: string;
  /** The step that collected the output. */
  step?: string;
}

const ORDER: Record<FindingSeverity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** Sort key: most severe first. */
export function severityRank(s: FindingSeverity): number {
  return ORDER[s];
}

/** One evidence output of a step, handed to its analyze(). */
export interface CollectedOutput {
  label: string;
  source: { kind: 'command' | 'file'; value: string };
  /** The output as text (the first 32 MiB of it). */
  text: string;
  truncated: boolean;
  rc: number | null;
  /** SHA-256 of the stored artifact: the findings' evidence reference. */
  sha256: string;
}
