/**
 * Evidence-only facts: artifacts recorded for the responder that nothing here parses (routes,
 * firewall rules, kernel modules, logs kept as files, shell histories). Each is still a fact, so
 * the command `collect` runs is declared once, here.
 */
import { hookFindings, parseShellHooks } from './config-hooks.js';
import { defineFact } from './fact.js';
import { perUser } from './sh.js';

const command = (label: string, text: string) => defineFact({ label, command: text });
const file = (label: string, path: string) => defineFact({ label, file: path });

export const processTreeFact = command('processes/tree', 'ps auxwwwf');
export const routesFact = command('network/routes', 'ip route show table all; ip -6 route show');
export const neighboursFact = command('network/neighbours', 'ip neigh show');
export const iptablesFact = command('network/iptables', 'iptables-save; ip6tables-save');
export const nftFact = command('network/nft', 'nft list ruleset');
export const lastlogFact = command('users/lastlog', 'lastlog');
export const unameFact = command('system/uname', 'uname -a; cat /etc/os-release');
export const uptimeFact = command('system/uptime', 'uptime');
export const modulesFact = command('system/modules', 'cat /proc/modules');
export const taintedFact = command('system/tainted', 'cat /proc/sys/kernel/tainted');
export const largestLogsFact = command(
  'system/largest-logs',
  "find /var/log -xdev -type f -printf '%s\\t%p\\n' 2>/dev/null | sort -rn | head -n 25",
);
export const rcFact = defineFact({
  label: 'persistence/rc',
  parse: parseShellHooks,
  findings: (host, hooks) => hookFindings(host, hooks, 'login hook'),
  command:
    'for f in /etc/rc.local /etc/profile /etc/profile.d/* /etc/bash.bashrc /etc/bashrc /etc/bash.bash_logout /etc/zsh/* /etc/zshrc /etc/zprofile /etc/csh.cshrc /etc/csh.login /etc/environment; do [ -f "$f" ] || continue; printf \'==> %s <==\\n\' "$f"; cat -- "$f"; echo; done; ' +
    perUser([
      '.bashrc',
      '.profile',
      '.bash_profile',
      '.bash_login',
      '.bash_logout',
      '.zshrc',
      '.zshenv',
      '.zprofile',
      '.zlogin',
      '.kshrc',
      '.mkshrc',
      '.cshrc',
      '.tcshrc',
      '.config/fish/config.fish',
    ]),
});
export const syslogFact = file('logs/syslog', '/var/log/syslog');
export const messagesFact = file('logs/messages', '/var/log/messages');
export const kernLogFact = file('logs/kern.log', '/var/log/kern.log');
export const wtmpFact = file('logs/wtmp', '/var/log/wtmp');
export const btmpFact = file('logs/btmp', '/var/log/btmp');
export const shellHistoryFact = command(
  'logs/shell-history',
  perUser([
    '.bash_history',
    '.zsh_history',
    '.ash_history',
    '.sh_history',
    '.history',
    '.mksh_history',
    '.local/share/fish/fish_history',
    '.ksh_history',
  ]),
);
