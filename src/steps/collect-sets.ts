/**
 * The built-in artifact sets of `collect`, in order of volatility (RFC 3227: what changes fastest is
 * taken first): processes, network, logins, system state, persistence, logs. Each item is one
 * artifact; commands are fixed text (nothing user-provided is interpolated here).
 */

import { quote, wrapEvidence, type Action } from '../core/index.js';

export interface ArtifactItem {
  /** `set/name`: the artifact's label in the evidence store and the parsers' key. */
  label: string;
  /** A command whose output is the artifact (stderr merged in), or a file fetched as is. */
  command?: string;
  file?: string;
}

/** `==> path <==` then the file, for every existing regular file among the shell globs (like `tail -n +1`). */
export function filesWithHeaders(globs: string): string {
  return `for f in ${globs}; do [ -f "$f" ] || continue; echo "==> $f <=="; cat -- "$f"; done`;
}

/** Home directories of every account (from /etc/passwd), for per-user files. */
const HOMES = `$(awk -F: '$6 ~ /^\\// {print $6}' /etc/passwd | sort -u)`;

/** Per user home: each of `names` inside it, with headers. */
function perUser(names: string[]): string {
  return `for h in ${HOMES}; do for n in ${names.join(' ')}; do f="$h/$n"; [ -f "$f" ] || continue; echo "==> $f <=="; cat -- "$f"; done; done`;
}

/**
 * Per process: `PID<TAB>PPID<TAB>exe target<TAB>sha256 of /proc/PID/exe<TAB>cwd<TAB>open fds<TAB>cmdline`.
 * `/proc/PID/exe` still reads when the file was deleted, so the hash is of the running binary.
 * Kernel threads have no exe: `-`.
 */
export const PROC_TABLE =
  `for d in /proc/[0-9]*; do p=\${d#/proc/}; [ "$p" = "$$" ] && continue; ` +
  `exe=$(readlink "$d/exe" 2>/dev/null) || exe=-; ` +
  `if [ "$exe" = - ]; then h=-; else h=$(sha256sum < "$d/exe" 2>/dev/null | cut -c1-64); [ -n "$h" ] || h=-; fi; ` +
  `ppid=$(awk '/^PPid:/ {print $2}' "$d/status" 2>/dev/null); ` +
  `cwd=$(readlink "$d/cwd" 2>/dev/null) || cwd=-; ` +
  `fds=$(ls "$d/fd" 2>/dev/null | wc -l); ` +
  `cmd=$(tr '\\000' ' ' < "$d/cmdline" 2>/dev/null); ` +
  `printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$p" "\${ppid:--}" "$exe" "$h" "$cwd" "$fds" "$cmd"; done`;

export const ARTIFACT_SETS = {
  processes: [
    { label: 'processes/ps', command: 'ps auxwwwf' },
    { label: 'processes/ps-fields', command: 'ps -eo pid=,ppid=,user=,stat=,lstart=,comm=,args=' },
    { label: 'processes/proc', command: PROC_TABLE },
  ],
  network: [
    { label: 'network/ss-tanp', command: 'ss -tanp' },
    { label: 'network/ss-ulnp', command: 'ss -ulnp' },
    { label: 'network/ss-tlnp', command: 'ss -tlnp' },
    { label: 'network/addresses', command: 'ip -d address show' },
    { label: 'network/routes', command: 'ip route show table all; ip -6 route show' },
    { label: 'network/neighbours', command: 'ip neigh show' },
    { label: 'network/iptables', command: 'iptables-save; ip6tables-save' },
    { label: 'network/nft', command: 'nft list ruleset' },
    { label: 'network/conntrack', command: 'cat /proc/sys/net/netfilter/nf_conntrack_count /proc/sys/net/netfilter/nf_conntrack_max' },
  ],
  users: [
    { label: 'users/w', command: 'w' },
    { label: 'users/who', command: 'who -a' },
    { label: 'users/last', command: 'last -Fiw' },
    { label: 'users/lastb', command: 'lastb -Fiw' },
    { label: 'users/lastlog', command: 'lastlog' },
    { label: 'users/passwd', file: '/etc/passwd' },
    { label: 'users/group', file: '/etc/group' },
  ],
  system: [
    { label: 'system/uname', command: 'uname -a; cat /etc/os-release' },
    { label: 'system/uptime', command: 'uptime' },
    { label: 'system/df', command: 'df -hP' },
    { label: 'system/df-inodes', command: 'df -iP' },
    { label: 'system/modules', command: 'cat /proc/modules' },
    { label: 'system/tainted', command: 'cat /proc/sys/kernel/tainted' },
    { label: 'system/largest-logs', command: "find /var/log -xdev -type f -printf '%s\\t%p\\n' 2>/dev/null | sort -rn | head -n 25" },
  ],
  persistence: [
    { label: 'persistence/crontabs', command: filesWithHeaders('/etc/crontab /etc/cron.d/* /etc/cron.hourly/* /etc/cron.daily/* /var/spool/cron/crontabs/* /var/spool/cron/*') },
    { label: 'persistence/systemd', command: "find /etc/systemd/system /run/systemd/system /usr/local/lib/systemd/system -maxdepth 2 \\( -name '*.service' -o -name '*.timer' \\) -printf '%y\\t%p\\t%l\\n' 2>/dev/null" },
    { label: 'persistence/systemd-units', command: filesWithHeaders('/etc/systemd/system/*.service /etc/systemd/system/*.timer') },
    { label: 'persistence/rc', command: filesWithHeaders('/etc/rc.local /etc/profile /etc/profile.d/* /etc/bash.bashrc') + '; ' + perUser(['.bashrc', '.profile', '.bash_profile', '.bash_login']) },
    { label: 'persistence/authorized_keys', command: perUser(['.ssh/authorized_keys', '.ssh/authorized_keys2']) },
    { label: 'persistence/ld.so.preload', command: filesWithHeaders('/etc/ld.so.preload') },
    { label: 'persistence/sudoers', command: filesWithHeaders('/etc/sudoers /etc/sudoers.d/*') },
  ],
  logs: [
    { label: 'logs/auth.log', file: '/var/log/auth.log' },
    { label: 'logs/secure', file: '/var/log/secure' },
    { label: 'logs/syslog', file: '/var/log/syslog' },
    { label: 'logs/messages', file: '/var/log/messages' },
    { label: 'logs/kern.log', file: '/var/log/kern.log' },
    { label: 'logs/wtmp', file: '/var/log/wtmp' },
    { label: 'logs/btmp', file: '/var/log/btmp' },
    { label: 'logs/shell-history', command: perUser(['.bash_history', '.zsh_history', '.ash_history', '.sh_history', '.history']) },
  ],
} as const satisfies Record<string, readonly ArtifactItem[]>;

export type ArtifactSetName = keyof typeof ARTIFACT_SETS;
export const ARTIFACT_SET_NAMES = Object.keys(ARTIFACT_SETS) as ArtifactSetName[];

/** The evidence action that collects one item: a file as is, or a command's output with its stderr. */
export function itemAction(i: ArtifactItem): Action {
  if (i.file !== undefined) return { kind: 'evidence', label: i.label, source: { kind: 'file', value: i.file }, command: wrapEvidence(`cat -- ${quote(i.file)}`, false) };
  const command = i.command as string;
  return { kind: 'evidence', label: i.label, source: { kind: 'command', value: command }, command: wrapEvidence(command, true) };
}
