/**
 * Files that grant privilege or resist removal: SUID/SGID binaries and file capabilities (a root
 * shell an attacker left for later: `cp /bin/bash /tmp/.x; chmod u+s`), and files marked immutable
 * or append-only (`chattr +i`, so that the responder's `rm` of a cron entry or a key fails).
 *
 * - `persistence/privileged-scratch` (light, in triage): SUID/SGID files and capabilities in the
 *   scratch dirs and home directories, where no package puts them: each one is high.
 * - `timeline/suid-sgid`, `timeline/capabilities` (heavy walks of every filesystem): the same
 *   elsewhere, with the package that owns each file; one that no package owns is medium (the
 *   scratch and home ones are left to the light fact, so that no file is reported twice).
 * - `persistence/immutable`: `lsattr` of the persistence and SSH paths; `i` or `a` there is high.
 */
import type { Finding } from '../core/index.js';
import { defineFact } from './fact.js';
import { capStream, findLocal, MiB, OWNER_FUNCTION } from './sh.js';
import { finding, inScratchDir, lines } from './text.js';

const HEAVY_TIMEOUT = 3600;

/** Where a privileged file is high: scratch dirs and homes. */
const UNTRUSTED_DIRS = ['/tmp', '/var/tmp', '/dev/shm', '/run/shm', '/home', '/root'] as const;

const inUntrustedDir = (path: string): boolean => inScratchDir(path) || /^\/(?:home|root)(?:\/|$)/.test(path);

/** `find` printing `MODE USER:GROUP SIZE MTIME<TAB>PATH` of SUID/SGID files. */
const SUID_PRINTF = String.raw`-type f -perm /6000 -printf '%m %u:%g %s %T@\t%p\n'`;

/** Each line prefixed by `owner`'s answer for the path after its tab. */
const WITH_OWNER = `{ t=$(printf '\\t'); while IFS= read -r l; do printf '%s\\t%s\\n' "$(owner "\${l#*$t}")" "$l"; done; }`;

/**
 * getcap's `PATH CAPS` lines (old libcap: `PATH = CAPS`) as `OWNER<TAB>cap CAPS<TAB>PATH`; caps
 * never hold a space, paths may. `owner` is the shell word printed as the owner.
 */
const capsLines = (owner: string): string =>
  `while IFS= read -r l; do p=\${l% *}; c=\${l##* }; [ "$c" = "$l" ] && continue; p=\${p% =}; ` +
  `printf '%s\\tcap %s\\t%s\\n' "${owner}" "$c" "$p"; done`;

/** Light: the untrusted dirs only (no owner lookup: no package puts files there). */
const PRIVILEGED_SCRATCH_COMMAND =
  `for d in ${UNTRUSTED_DIRS.join(' ')}; do [ -d "$d" ] || continue; ` +
  String.raw`find "$d" -xdev -type f -perm /6000 -printf '-\t%m %u:%g %s %T@\t%p\n'; ` +
  `if command -v getcap >/dev/null 2>&1; then find "$d" -xdev -type f -perm /111 -exec getcap {} + | ${capsLines('-')}; fi; ` +
  `done 2>/dev/null | ${capStream(16 * MiB)}`;

export interface PrivilegedFile {
  path: string;
  kind: 'suid' | 'sgid' | 'suid+sgid' | 'capability';
  /** The package manager owning it, or null (none does, or it was not looked up: untrusted dirs). */
  packaged: 'dpkg' | 'rpm' | null;
  mode?: string;
  owner?: string;
  size?: number;
  /** UTC ISO time of the last modification. */
  mtime?: string;
  /** `cap_net_raw=ep` for capabilities. */
  capabilities?: string;
}

export function parsePrivilegedFiles(text: string): PrivilegedFile[] {
  const out: PrivilegedFile[] = [];
  for (const line of lines(text)) {
    const [pkg, meta, ...rest] = line.split('\t');
    const path = rest.join('\t');
    if (!path.startsWith('/') || (pkg !== '-' && pkg !== 'dpkg' && pkg !== 'rpm') || !meta) continue;
    const packaged = pkg === '-' ? null : pkg;
    const cap = /^cap (\S+)$/.exec(meta);
    if (cap) {
      out.push({ path, kind: 'capability', packaged, capabilities: (cap[1] as string).replace(/^=\s*/, '') });
      continue;
    }
    const m = /^([0-7]{3,4}) (\S+) (\d+) (\d+)(?:\.\d+)?$/.exec(meta);
    if (!m) continue;
    const mode = (m[1] as string).padStart(4, '0');
    const special = Number.parseInt(mode[0] as string, 8);
    const kind = (special & 6) === 6 ? 'suid+sgid' : special & 4 ? 'suid' : special & 2 ? 'sgid' : undefined;
    if (!kind) continue;
    out.push({
      path,
      kind,
      packaged,
      mode,
      owner: m[2] as string,
      size: Number(m[3]),
      mtime: new Date(Number(m[4]) * 1000).toISOString(),
    });
  }
  return out;
}

/** High in scratch dirs and homes; medium elsewhere when no package owns it; nothing for a packaged file. */
export function privilegedFileFindings(
  host: string,
  files: readonly PrivilegedFile[],
  scope: 'untrusted' | 'elsewhere',
): Finding[] {
  return files.flatMap((f) => {
    const untrusted = inUntrustedDir(f.path);
    if ((scope === 'untrusted') !== untrusted || (!untrusted && f.packaged)) return [];
    const what =
      f.kind === 'capability'
        ? `file capabilities ${f.capabilities}`
        : `${f.kind.toUpperCase()} (${f.mode} ${f.owner})`;
    const where = untrusted ? 'in a scratch or home directory' : 'owned by no package';
    const detail: Finding['detail'] = { path: f.path, kind: f.kind };
    for (const key of ['mode', 'owner', 'size', 'mtime', 'capabilities'] as const)
      if (f[key] !== undefined) detail[key] = f[key] as string | number;
    return [finding(host, 'file.privileged', untrusted ? 'high' : 'medium', `${f.path}: ${what}, ${where}`, detail)];
  });
}

export const privilegedScratchFact = defineFact({
  label: 'persistence/privileged-scratch',
  command: PRIVILEGED_SCRATCH_COMMAND,
  parse: parsePrivilegedFiles,
  findings: (host, files) => privilegedFileFindings(host, files, 'untrusted'),
});

export const suidFact = defineFact({
  label: 'timeline/suid-sgid',
  timeout: HEAVY_TIMEOUT,
  command: `${OWNER_FUNCTION}; ${findLocal(SUID_PRINTF)} | ${WITH_OWNER} | ${capStream(64 * MiB)}`,
  parse: parsePrivilegedFiles,
  findings: (host, files) => privilegedFileFindings(host, files, 'elsewhere'),
});

export const capabilitiesFact = defineFact({
  label: 'timeline/capabilities',
  requires: 'getcap',
  timeout: HEAVY_TIMEOUT,
  command: `${OWNER_FUNCTION}; ${findLocal('-type f -perm /111 -exec getcap {} +')} | ${capsLines('$(owner "$p")')} | ${capStream(64 * MiB)}`,
  parse: parsePrivilegedFiles,
  findings: (host, files) => privilegedFileFindings(host, files, 'elsewhere'),
});

/**
 * Persistence and SSH paths (files and their directories): cron, systemd, init and profile
 * scripts, sudoers, PAM, the preload file, sshd's config and every home's `.ssh` and shell rc files.
 */
const LOCKABLE_PATHS = [
  '/etc/passwd',
  '/etc/shadow',
  '/etc/group',
  '/etc/gshadow',
  '/etc/sudoers',
  '/etc/sudoers.d /etc/sudoers.d/*',
  '/etc/crontab',
  '/etc/cron.d /etc/cron.d/* /etc/cron.hourly/* /etc/cron.daily/* /etc/cron.weekly/* /etc/cron.monthly/*',
  '/var/spool/cron /var/spool/cron/* /var/spool/cron/crontabs/*',
  '/etc/systemd/system /etc/systemd/system/* /etc/systemd/system/*/*',
  '/etc/init.d/* /etc/rc.local',
  '/etc/profile /etc/profile.d /etc/profile.d/* /etc/bash.bashrc /etc/environment',
  '/etc/ld.so.preload /etc/ld.so.conf /etc/ld.so.conf.d/*',
  '/etc/pam.d/* /etc/security/*',
  '/etc/ssh/sshd_config /etc/ssh/sshd_config.d/*',
];
const HOME_PATHS = ['.ssh', '.ssh/authorized_keys', '.ssh/authorized_keys2', '.ssh/rc', '.bashrc', '.profile'];

const IMMUTABLE_COMMAND =
  `{ for f in ${LOCKABLE_PATHS.join(' ')}; do [ -e "$f" ] && printf '%s\\n' "$f"; done; ` +
  String.raw`awk -F: '$6 ~ /^\// {print $6}' /etc/passwd | sort -u | while IFS= read -r h; do for n in ${HOME_PATHS.join(' ')}; do [ -e "$h/$n" ] && printf '%s\n' "$h/$n"; done; done; } 2>/dev/null | ` +
  String.raw`while IFS= read -r f; do lsattr -d -- "$f" 2>/dev/null; done | awk '$1 ~ /[ia]/'`;

export interface LockedFile {
  path: string;
  /** lsattr's flag string (`----i---------e-------`). */
  flags: string;
  immutable: boolean;
  appendOnly: boolean;
}

export function parseLockedFiles(text: string): LockedFile[] {
  return lines(text).flatMap((l) => {
    const m = /^([-a-zA-Z]{10,}) (\/.*)$/.exec(l);
    if (!m) return [];
    const flags = m[1] as string;
    return [{ path: m[2] as string, flags, immutable: flags.includes('i'), appendOnly: flags.includes('a') }];
  });
}

export function lockedFileFindings(host: string, files: readonly LockedFile[]): Finding[] {
  return files
    .filter((f) => f.immutable || f.appendOnly)
    .map((f) => {
      const what = [f.immutable ? 'immutable' : '', f.appendOnly ? 'append-only' : ''].filter(Boolean).join(' and ');
      return finding(host, 'persistence.immutable', 'high', `${f.path} is ${what} (${f.flags}): it resists removal`, {
        path: f.path,
        flags: f.flags,
        immutable: f.immutable,
        appendOnly: f.appendOnly,
      });
    });
}

export const immutablePersistenceFact = defineFact({
  label: 'persistence/immutable',
  requires: 'lsattr',
  command: IMMUTABLE_COMMAND,
  parse: parseLockedFiles,
  findings: lockedFileFindings,
});
