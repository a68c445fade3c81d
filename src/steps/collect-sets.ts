/**
 * The built-in artifact sets of `collect`, in order of volatility (RFC 3227: what changes fastest is
 * taken first): processes, network, logins, system state, persistence, logs. Each item is one
 * artifact; commands are fixed text (nothing user-provided is interpolated here).
 */

import { quote, wrapEvidence, type Action } from '../core/index.js';
import {
  ACCOUNTS_COMMAND,
  AUTHORIZED_KEYS_COMMAND,
  CONNTRACK_COMMAND,
  CONNTRACK_TABLE_COMMAND,
  CRON_COMMAND,
  DISK_COMMAND,
  LAST_COMMAND,
  LASTB_COMMAND,
  PRELOAD_COMMAND,
  PROC_COMMAND,
  PS_COMMAND,
  SS_LISTEN_COMMAND,
  SS_TCP_COMMAND,
  SYSTEMD_COMMAND,
  W_COMMAND,
  WHO_COMMAND,
} from '../facts/index.js';

export interface ArtifactItem {
  /** `set/name`: the artifact's label in the evidence store and the parsers' key. */
  label: string;
  /** A command whose output is the artifact (stderr merged in), or a file fetched as is. */
  command?: string;
  file?: string;
}

/** Per user home: each of `names` inside it, with `==> path <==` headers. */
function perUser(names: string[]): string {
  return `awk -F: '$6 ~ /^\\// {print $6}' /etc/passwd | sort -u | while IFS= read -r h; do for n in ${names.join(' ')}; do f="$h/$n"; [ -f "$f" ] || continue; printf '==> %s <==\\n' "$f"; cat -- "$f"; echo; done; done`;
}

export const ARTIFACT_SETS = {
  processes: [
    { label: 'processes/ps', command: PS_COMMAND },
    { label: 'processes/proc', command: PROC_COMMAND },
    { label: 'processes/tree', command: 'ps auxwwwf' },
  ],
  network: [
    { label: 'network/ss-tanp', command: SS_TCP_COMMAND },
    { label: 'network/listeners', command: SS_LISTEN_COMMAND },
    { label: 'network/addresses', command: 'ip -d address show' },
    { label: 'network/routes', command: 'ip route show table all; ip -6 route show' },
    { label: 'network/neighbours', command: 'ip neigh show' },
    { label: 'network/iptables', command: 'iptables-save; ip6tables-save' },
    { label: 'network/nft', command: 'nft list ruleset' },
    { label: 'network/conntrack', command: CONNTRACK_COMMAND },
    { label: 'network/conntrack-table', command: CONNTRACK_TABLE_COMMAND },
  ],
  users: [
    { label: 'users/w', command: W_COMMAND },
    { label: 'users/who', command: WHO_COMMAND },
    { label: 'users/last', command: LAST_COMMAND },
    { label: 'users/lastb', command: LASTB_COMMAND },
    { label: 'users/lastlog', command: 'lastlog' },
    { label: 'users/passwd', file: '/etc/passwd' },
    { label: 'users/accounts', command: ACCOUNTS_COMMAND },
  ],
  system: [
    { label: 'system/uname', command: 'uname -a; cat /etc/os-release' },
    { label: 'system/uptime', command: 'uptime' },
    { label: 'system/df', command: DISK_COMMAND },
    { label: 'system/modules', command: 'cat /proc/modules' },
    { label: 'system/tainted', command: 'cat /proc/sys/kernel/tainted' },
    {
      label: 'system/largest-logs',
      command: "find /var/log -xdev -type f -printf '%s\\t%p\\n' 2>/dev/null | sort -rn | head -n 25",
    },
  ],
  persistence: [
    { label: 'persistence/crontabs', command: CRON_COMMAND },
    { label: 'persistence/systemd', command: SYSTEMD_COMMAND },
    {
      label: 'persistence/rc',
      command:
        'for f in /etc/rc.local /etc/profile /etc/profile.d/* /etc/bash.bashrc; do [ -f "$f" ] || continue; printf \'==> %s <==\\n\' "$f"; cat -- "$f"; echo; done; ' +
        perUser(['.bashrc', '.profile', '.bash_profile', '.bash_login']),
    },
    { label: 'persistence/authorized_keys', command: AUTHORIZED_KEYS_COMMAND },
    { label: 'persistence/ld.so.preload', command: PRELOAD_COMMAND },
  ],
  logs: [
    { label: 'logs/auth.log', file: '/var/log/auth.log' },
    { label: 'logs/secure', file: '/var/log/secure' },
    { label: 'logs/syslog', file: '/var/log/syslog' },
    { label: 'logs/messages', file: '/var/log/messages' },
    { label: 'logs/kern.log', file: '/var/log/kern.log' },
    { label: 'logs/wtmp', file: '/var/log/wtmp' },
    { label: 'logs/btmp', file: '/var/log/btmp' },
    {
      label: 'logs/shell-history',
      command: perUser(['.bash_history', '.zsh_history', '.ash_history', '.sh_history', '.history']),
    },
  ],
} as const satisfies Record<string, readonly ArtifactItem[]>;

export type ArtifactSetName = keyof typeof ARTIFACT_SETS;
export const ARTIFACT_SET_NAMES = Object.keys(ARTIFACT_SETS) as ArtifactSetName[];

/** The evidence action that collects one item: a file as is, or a command's output with its stderr. */
export function itemAction(i: ArtifactItem, timeoutMs?: number): Action {
  const limit = timeoutMs !== undefined ? { timeoutMs } : {};
  if (i.file !== undefined)
    return {
      kind: 'evidence',
      label: i.label,
      source: { kind: 'file', value: i.file },
      command: wrapEvidence(`cat -- ${quote(i.file)}`, false),
      ...limit,
    };
  const command = i.command as string;
  return {
    kind: 'evidence',
    label: i.label,
    source: { kind: 'command', value: command },
    command: wrapEvidence(command, true),
    ...limit,
  };
}
