/**
 * Hidden (dot-named) files, or files under a hidden directory, where programs are started from:
 * cron, systemd, init and profile directories, sudoers.d, PAM, udev, module loading, sshd's drop-ins,
 * desktop autostart, motd scripts. Attackers name persistence `.update` so that a plain `ls` (and the
 * shell's `*`) passes over it. Packages almost never ship such a file (Debian's `.placeholder` in the
 * cron directories is one that does, and dpkg owns it), so one that no package owns is high.
 * Ownership is looked up in dpkg's file lists or with `rpm -qf`; nothing on the host is changed.
 */
import type { Finding } from '../core/index.js';
import { defineFact } from './fact.js';
import { OWNER_FUNCTION } from './sh.js';
import { finding, lines } from './text.js';

export const HIDDEN_FILE_DIRS = [
  '/etc/cron.d',
  '/etc/cron.hourly',
  '/etc/cron.daily',
  '/etc/cron.weekly',
  '/etc/cron.monthly',
  '/var/spool/cron',
  '/etc/systemd',
  '/usr/lib/systemd/system',
  '/run/systemd/system',
  '/etc/init.d',
  '/etc/rc.d',
  '/etc/profile.d',
  '/etc/sudoers.d',
  '/etc/pam.d',
  '/etc/udev/rules.d',
  '/etc/modules-load.d',
  '/etc/modprobe.d',
  '/etc/ld.so.conf.d',
  '/etc/ssh/sshd_config.d',
  '/etc/xdg/autostart',
  '/etc/update-motd.d',
] as const;

/** One line per hidden file: `owner<TAB>mode user size mtime<TAB>path`, owner `dpkg`, `rpm` or `-`. */
const COMMAND =
  // /lib/systemd/system too, unless /lib is the link to /usr/lib of a merged /usr (then it is the same).
  `${OWNER_FUNCTION}; d='${HIDDEN_FILE_DIRS.join(' ')}'; [ -L /lib ] || d="$d /lib/systemd/system"; ` +
  `find $d -xdev -path '*/.*' \\( -type f -o -type l \\) -print 2>/dev/null | ` +
  String.raw`while IFS= read -r f; do printf '%s\t%s\t%s\n' "$(owner "$f")" "$(stat -c '%a %U %s %Y' -- "$f" 2>/dev/null)" "$f"; done`;

export interface HiddenFile {
  path: string;
  /** The package manager that owns it, or null: no package does. */
  packaged: 'dpkg' | 'rpm' | null;
  mode?: string;
  user?: string;
  size?: number;
  /** UTC ISO time of the last modification. */
  mtime?: string;
}

export function parseHiddenFiles(text: string): HiddenFile[] {
  const out: HiddenFile[] = [];
  for (const line of lines(text)) {
    const [owner, meta, ...rest] = line.split('\t');
    const path = rest.join('\t');
    if (!path.startsWith('/') || (owner !== '-' && owner !== 'dpkg' && owner !== 'rpm')) continue;
    const entry: HiddenFile = { path, packaged: owner === '-' ? null : owner };
    const m = /^([0-7]+) (\S+) (\d+) (\d+)$/.exec(meta ?? '');
    if (m) {
      entry.mode = m[1] as string;
      entry.user = m[2] as string;
      entry.size = Number(m[3]);
      entry.mtime = new Date(Number(m[4]) * 1000).toISOString();
    }
    out.push(entry);
  }
  return out;
}

/** The directory of HIDDEN_FILE_DIRS the file is under (what it would be started by). */
function startedFrom(path: string): string {
  const dirs: readonly string[] = [...HIDDEN_FILE_DIRS, '/lib/systemd/system'];
  return dirs.find((d) => path.startsWith(`${d}/`)) ?? path.slice(0, path.lastIndexOf('/'));
}

export function hiddenFileFindings(host: string, files: readonly HiddenFile[]): Finding[] {
  return files
    .filter((f) => f.packaged === null)
    .map((f) => {
      const detail: Finding['detail'] = { path: f.path, dir: startedFrom(f.path) };
      if (f.mode) detail.mode = f.mode;
      if (f.user) detail.user = f.user;
      if (f.size !== undefined) detail.size = f.size;
      if (f.mtime) detail.mtime = f.mtime;
      return finding(
        host,
        'persistence.hidden',
        'high',
        `hidden file ${f.path} in ${startedFrom(f.path)}, owned by no package${f.mtime ? ` (modified ${f.mtime})` : ''}`,
        detail,
      );
    });
}

export const hiddenFilesFact = defineFact({
  label: 'persistence/hidden-files',
  command: COMMAND,
  parse: parseHiddenFiles,
  findings: hiddenFileFindings,
});
