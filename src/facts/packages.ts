/**
 * Package integrity: `rpm -Va`, `dpkg --verify` and `debsums -c`. Rootkits replace `ls`, `ps`,
 * `netstat`, `sshd`; the package database still knows the real digests.
 *
 * `rpm -Va` and `dpkg --verify` print 9 flag characters (8 on old rpm), an attribute marker
 * (`c` config, `d` doc, `g` ghost, `l` license, `r` readme) and the path, or `missing`:
 *
 *     S.5....T.  c /etc/ssh/sshd_config
 *     ??5??????   /usr/bin/ls
 *     missing     /usr/bin/w
 *
 * Flags: S size, M mode (permissions or type), 5 digest, D device, L symlink target, U owner,
 * G group, T mtime, P capabilities; `.` passed, `?` not checked (dpkg checks only the digest).
 * `debsums -c` prints changed files, one path per line, and `debsums: missing file … (from …)`.
 *
 * Severity: a changed digest or mode on a non-config file in a bin/sbin/lib directory is high,
 * critical for binaries rootkits are known to replace; other changed binaries' owners are medium;
 * config files are low when security-relevant (PAM, sshd, sudoers), else info.
 */
import type { Finding, FindingSeverity } from '../core/index.js';
import { finding, lines } from './text.js';

export type VerifyFlag = 'size' | 'mode' | 'digest' | 'device' | 'link' | 'user' | 'group' | 'mtime' | 'capabilities';
const FLAG_ORDER: VerifyFlag[] = ['size', 'mode', 'digest', 'device', 'link', 'user', 'group', 'mtime', 'capabilities'];

export interface PackageVerifyRecord {
  path: string;
  tool: 'rpm' | 'dpkg' | 'debsums';
  missing: boolean;
  /** Which tests failed (true) or passed (false); unchecked tests are in `unchecked`. */
  changed: Record<VerifyFlag, boolean>;
  unchecked: VerifyFlag[];
  /** `c`, `d`, `g`, `l`, `r` or empty. */
  attribute: string;
  config: boolean;
  /** The package, when the tool says (debsums). */
  package?: string;
}

const FLAGS = /^([.?SM5DLUGTP]{8,9})\s+(?:([cdglra])\s+)?(\/.*)$/;
const MISSING = /^missing\s+(?:([cdglra])\s+)?(\/.*)$/;
const DEBSUMS = /^debsums: (missing|changed) file (\/.*?) \(from (\S+) package\)$/;

function noneChanged(): Record<VerifyFlag, boolean> {
  return Object.fromEntries(FLAG_ORDER.map((f) => [f, false])) as Record<VerifyFlag, boolean>;
}

/** `rpm -Va` or `dpkg --verify` (same format); `tool` says which printed it. */
export function parseVerify(text: string, tool: 'rpm' | 'dpkg' = 'rpm'): PackageVerifyRecord[] {
  const out: PackageVerifyRecord[] = [];
  for (const line of lines(text)) {
    const t = line.trim();
    const miss = MISSING.exec(t);
    if (miss) {
      const attribute = miss[1] ?? '';
      out.push({
        path: (miss[2] as string).trimEnd(),
        tool,
        missing: true,
        changed: noneChanged(),
        unchecked: [],
        attribute,
        config: attribute === 'c',
      });
      continue;
    }
    const m = FLAGS.exec(t);
    if (!m) continue;
    const flags = m[1] as string;
    const changed = noneChanged();
    const unchecked: VerifyFlag[] = [];
    FLAG_ORDER.forEach((name, i) => {
      const c = flags[i];
      if (c === '?' || c === undefined) unchecked.push(name);
      else if (c !== '.') changed[name] = true;
    });
    const attribute = m[2] ?? '';
    out.push({
      path: (m[3] as string).trimEnd(),
      tool,
      missing: false,
      changed,
      unchecked,
      attribute,
      config: attribute === 'c',
    });
  }
  return out;
}

/** `debsums -c 2>&1`: bare paths are changed files (digest); `debsums: …` lines name missing ones. */
export function parseDebsums(text: string): PackageVerifyRecord[] {
  const out: PackageVerifyRecord[] = [];
  for (const line of lines(text)) {
    const t = line.trim();
    const m = DEBSUMS.exec(t);
    const path = m ? (m[2] as string) : /^\/\S.*$/.test(t) ? t : undefined;
    if (!path) continue;
    const changed = noneChanged();
    const missing = m?.[1] === 'missing';
    if (!missing) changed.digest = true;
    const rec: PackageVerifyRecord = {
      path,
      tool: 'debsums',
      missing,
      changed,
      unchecked: FLAG_ORDER.filter((f) => f !== 'digest'),
      attribute: '',
      config: path.startsWith('/etc/'),
    };
    if (m) rec.package = m[3] as string;
    out.push(rec);
  }
  return out;
}

/** Programs: anything in a bin/sbin/libexec dir, and shared objects in lib dirs (lib dirs also hold data files). */
const BINARY_DIR = /^(?:\/usr)?(?:\/local)?\/(?:s?bin|libexec)\//;
const LIBRARY = /^(?:\/usr)?(?:\/local)?\/lib(?:64|32)?\/.*\.so(?:\.[\d.]+)?$/;
/** Binaries and libraries rootkits are known to replace (and `ss`, `ps` and `w`'s friends). */
const TROJANED = new Set([
  'ls',
  'dir',
  'vdir',
  'ps',
  'top',
  'pstree',
  'pidof',
  'kill',
  'killall',
  'pkill',
  'netstat',
  'ss',
  'ip',
  'ifconfig',
  'lsof',
  'find',
  'du',
  'df',
  'w',
  'who',
  'last',
  'lastlog',
  'login',
  'su',
  'sudo',
  'passwd',
  'chfn',
  'chsh',
  'sshd',
  'ssh',
  'scp',
  'crontab',
  'cron',
  'crond',
  'syslogd',
  'rsyslogd',
  'bash',
  'sh',
  'dash',
  'ldd',
  'strings',
  'stat',
  'md5sum',
  'sha1sum',
  'sha256sum',
  'grep',
  'egrep',
  'cat',
  'tar',
  'ncat',
  'nc',
  'systemctl',
  'chattr',
  'lsattr',
]);
const TROJANED_LIB =
  /^(?:libkeyutils|libc|libpam|libaudit|libselinux|libprocps|libproc2|libsystemd|libcrypt|libssl|libcrypto)[.-]/;
const SECURITY_CONFIG =
  /^\/etc\/(?:pam\.d\/|ssh\/|sudoers|security\/|ld\.so\.|profile|bash\.bashrc|crontab|cron\.|passwd|shadow|group)/;

export function integritySeverity(r: PackageVerifyRecord): FindingSeverity {
  const name = r.path.slice(r.path.lastIndexOf('/') + 1);
  if (r.config || r.attribute === 'g')
    return SECURITY_CONFIG.test(r.path) && (r.changed.digest || r.changed.mode || r.changed.size || r.missing)
      ? 'low'
      : 'info';
  if (r.attribute === 'd' || r.attribute === 'l' || r.attribute === 'r') return 'info';
  const binary = BINARY_DIR.test(r.path) || LIBRARY.test(r.path);
  if (binary && (r.changed.digest || r.changed.mode))
    return TROJANED.has(name) || TROJANED_LIB.test(name) ? 'critical' : 'high';
  if (binary && (r.changed.user || r.changed.group || r.changed.capabilities || r.changed.size)) return 'medium';
  if (binary && r.missing) return 'medium';
  if (r.changed.digest || r.changed.mode) return 'low';
  return 'info';
}

function describe(r: PackageVerifyRecord): string {
  if (r.missing) return 'missing';
  const names = FLAG_ORDER.filter((f) => r.changed[f]);
  return names.length ? `${names.join(', ')} changed` : 'unchanged';
}

export function integrityFindings(host: string, records: readonly PackageVerifyRecord[]): Finding[] {
  return records.map((r) => {
    const detail: Finding['detail'] = {
      path: r.path,
      tool: r.tool,
      missing: r.missing,
      config: r.config,
      attribute: r.attribute,
      changed: FLAG_ORDER.filter((f) => r.changed[f]),
      unchecked: r.unchecked,
    };
    if (r.package) detail.package = r.package;
    return finding(
      host,
      'package.integrity',
      integritySeverity(r),
      `${r.path}${r.config ? ' (config)' : ''}: ${describe(r)} (${r.tool})`,
      detail,
    );
  });
}
