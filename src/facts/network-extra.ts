/**
 * More of the network (evidence only, UAC `live_response/network`): name resolution and host
 * files, firewall front ends (firewalld, ufw), and the kernel's own socket tables in /proc/net —
 * which a userland rootkit hiding sockets from `ss` does not rewrite.
 */
import { defineFact } from './fact.js';
import { catWithHeaders } from './text.js';
import { runEach } from './sh.js';

export const hostsFact = defineFact({
  label: 'network/hosts',
  command:
    'echo "hostname: $(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"; ' +
    catWithHeaders([
      '/etc/hostname',
      '/etc/hosts',
      '/etc/resolv.conf',
      '/etc/nsswitch.conf',
      '/etc/hosts.allow',
      '/etc/hosts.deny',
      '/etc/network/interfaces',
      '/etc/sysconfig/network-scripts/ifcfg-*',
      '/etc/netplan/*',
    ]) +
    '; ' +
    runEach(['nmcli general status', 'nmcli device show', 'nmcli connection show']),
});

export const firewallFrontendsFact = defineFact({
  label: 'network/firewall-frontends',
  command: runEach(['firewall-cmd --state', 'firewall-cmd --list-all-zones', 'ufw status verbose']),
});

export const procNetFact = defineFact({
  label: 'network/proc-net',
  command: catWithHeaders(
    ['tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6', 'unix', 'packet', 'arp', 'dev', 'route'].map((n) => `/proc/net/${n}`),
  ),
});
