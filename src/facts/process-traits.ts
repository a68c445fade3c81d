/**
 * Two attacker habits a process listing shows, beyond a binary in a scratch dir:
 *
 * - **a borrowed name**: argv[0] rewritten to a daemon's or a shell's (`sshd: root@pts/0`,
 *   `/usr/sbin/atd -f`, `-bash`) while `/proc/PID/exe` is another program. A real daemon runs a
 *   binary of its own name (`php-fpm: master` runs php-fpm8.2; sshd's sessions run sshd-session).
 * - **a script run by an interpreter** from a scratch dir, a hidden path, or deleted after start:
 *   the interpreter is an honest packaged binary, so the finding must name the script. bash keeps
 *   its script open (fd 255, or fd 0 when fed on stdin), so a deleted script still shows there.
 */
import type { FindingSeverity } from '../core/index.js';
import { hasHiddenComponent, inScratchDir } from './text.js';

export interface Reason {
  reason: string;
  severity: FindingSeverity;
}

/** What a trait needs of a process: its arguments, binary, working directory and deleted open files. */
export interface TraitView {
  args: string;
  exe?: string;
  cwd?: string;
  /** Open descriptors whose file was deleted: fd number and `/path (deleted)` target. */
  deletedFds?: ReadonlyArray<{ fd: number; target: string }>;
}

/** Daemons and shells whose names malware takes for argv[0]. */
const BORROWED = new Set([
  'sshd',
  'cron',
  'crond',
  'atd',
  'init',
  'systemd',
  'systemd-journald',
  'systemd-logind',
  'systemd-udevd',
  'systemd-resolved',
  'systemd-networkd',
  'systemd-timesyncd',
  'rsyslogd',
  'syslogd',
  'dbus-daemon',
  'dbus-broker',
  'agetty',
  'getty',
  'polkitd',
  'udevd',
  'auditd',
  'chronyd',
  'ntpd',
  'nginx',
  'httpd',
  'apache2',
  'mysqld',
  'mariadbd',
  'postgres',
  'php-fpm',
  'redis-server',
  'memcached',
  'containerd',
  'dockerd',
  'irqbalance',
  'acpid',
  'cupsd',
  'avahi-daemon',
  'NetworkManager',
  'bash',
  'sh',
  'dash',
  'zsh',
]);

/** Binaries a name is honestly run by, beyond one of the same name. */
const RUN_BY: Readonly<Record<string, readonly string[]>> = {
  sshd: ['sshd-session', 'sshd-auth'],
  init: ['systemd', 'busybox', 'upstart', 'openrc-init', 'runit'],
  sh: ['dash', 'bash', 'busybox', 'mksh'],
  getty: ['agetty'],
  mysqld: ['mariadbd'],
  cron: ['crond'],
  crond: ['cron'],
  syslogd: ['rsyslogd', 'busybox'],
  'dbus-daemon': ['dbus-broker', 'dbus-broker-launch'],
};

/** The name a process shows: `[kworker/0:1]` → `kworker/0:1`, `/usr/bin/x -y` → `x`, `sshd: root` → `sshd`. */
export function displayName(args: string): string {
  const bracket = /^\[([^\]]*)\]/.exec(args);
  if (bracket) return bracket[1] as string;
  const argv0 = args.split(/\s+/)[0] ?? '';
  return argv0.slice(argv0.lastIndexOf('/') + 1).replace(/:$/, '');
}

/** The basename of a /proc/PID/exe target, ` (deleted)` removed. */
function exeName(exe: string): string {
  const path = exe.replace(/ \(deleted\)$/, '');
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The name argv[0] claims, a login shell's leading `-` removed (`-bash` → `bash`). */
export function claimedName(args: string): string {
  return displayName(args).replace(/^-/, '');
}

/** argv[0] claims a daemon or shell, and the binary running is another program. */
export function borrowedNameReason(v: TraitView): Reason | undefined {
  if (!v.exe) return undefined;
  const claimed = claimedName(v.args);
  if (!BORROWED.has(claimed)) return undefined;
  const running = exeName(v.exe);
  // php-fpm8.2 for php-fpm, sshd-session for sshd: the name followed by a version or a suffix
  if (running === claimed || new RegExp(`^${claimed.replace(/[.]/g, '\\.')}[-.\\d]`).test(running)) return undefined;
  if (RUN_BY[claimed]?.includes(running)) return undefined;
  return { reason: `shows itself as ${claimed} but runs ${v.exe}`, severity: 'high' };
}

/** Interpreters that take a script file as their first argument that is not an option. */
const INTERPRETER =
  /^(?:(?:ba|da|z|k|mk|tc|c|a)?sh|python[\d.]*|perl[\d.]*|ruby[\d.]*|php[\d.]*|node|nodejs|lua[\d.]*)$/;

/** Options after which the program is inline text, not a file (`sh -c`, `perl -e`, `python -m`). */
const INLINE = new Set(['-c', '-e', '-E', '-m', '-r', '--eval']);

function resolve(path: string, cwd: string | undefined): string | undefined {
  if (path.startsWith('/')) return path;
  if (!cwd || cwd.endsWith(' (deleted)')) return undefined;
  return `${cwd.replace(/\/$/, '')}/${path.replace(/^\.\//, '')}`;
}

/** The script file an interpreter process runs, resolved against its working directory. */
export function scriptOf(v: TraitView): string | undefined {
  if (!v.exe || !INTERPRETER.test(exeName(v.exe))) return undefined;
  for (const word of v.args.split(/\s+/).slice(1)) {
    if (INLINE.has(word)) return undefined;
    if (word === '' || word.startsWith('-')) continue;
    return resolve(word, v.cwd);
  }
  return undefined;
}

/** A script run from a scratch dir, a hidden path or deleted; for interpreters, a deleted file read as the script (fd 0 or 255). */
export function scriptReasons(v: TraitView): Reason[] {
  const out: Reason[] = [];
  const script = scriptOf(v);
  const interpreter = v.exe !== undefined && INTERPRETER.test(exeName(v.exe));
  const deleted = (v.deletedFds ?? []).filter((d) => interpreter && (d.fd === 0 || d.fd === 255));
  if (script) {
    const where = inScratchDir(script) ? 'from a scratch dir' : hasHiddenComponent(script) ? 'from a hidden path' : '';
    if (where) out.push({ reason: `runs the script ${script} ${where}`, severity: 'high' });
    if (v.deletedFds?.some((d) => d.target === `${script} (deleted)`))
      out.push({ reason: `its script ${script} was deleted`, severity: 'high' });
  }
  for (const d of deleted) {
    const path = d.target.replace(/ \(deleted\)$/, '');
    if (path === script) continue;
    out.push({ reason: `reads its script from the deleted file ${path} (fd ${d.fd})`, severity: 'high' });
  }
  return out;
}
