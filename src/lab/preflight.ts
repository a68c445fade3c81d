/**
 * Can this machine run a lab? Checked before anything is created, so a missing piece is one clear
 * message naming the fix instead of a half-built lab.
 */
import { existsSync, readFileSync } from 'node:fs';
import { EnvironmentError } from '../core/index.js';

/** Program → Debian package that provides it. */
const NEEDED: Record<string, string> = {
  unshare: 'util-linux',
  nsenter: 'util-linux',
  utmpdump: 'util-linux',
  ip: 'iproute2',
  tc: 'iproute2',
  sshd: 'openssh-server',
  'ssh-keygen': 'openssh-client',
  ssh: 'openssh-client',
  rsyslogd: 'rsyslog',
  iptables: 'iptables',
  nft: 'nftables',
  conntrack: 'conntrack',
  ps: 'procps',
};

const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function findProgram(name: string): string | undefined {
  return PATH_DIRS.map((d) => `${d}/${name}`).find((p) => existsSync(p));
}

export interface MachineProbe {
  uid: number;
  hasProgram(name: string): boolean;
  exists(path: string): boolean;
  filesystems: string;
}

const thisMachine = (): MachineProbe => ({
  uid: process.getuid?.() ?? -1,
  hasProgram: (name) => findProgram(name) !== undefined,
  exists: existsSync,
  filesystems: readFileSync('/proc/filesystems', 'utf8'),
});

/** Throws EnvironmentError listing everything missing; returns quietly when the lab can run. */
export function checkLabEnvironment(probe: MachineProbe = thisMachine()): void {
  const problems: string[] = [];
  if (process.platform !== 'linux') throw new EnvironmentError('the lab needs Linux (network, mount, pid and UTS namespaces)');
  if (probe.uid !== 0) problems.push('run as root: the lab creates namespaces, a bridge and mounts (e.g. `sudo firebreak lab up ...`)');
  for (const ns of ['net', 'mnt', 'pid', 'uts', 'ipc']) {
    if (!probe.exists(`/proc/self/ns/${ns}`)) problems.push(`the kernel has no ${ns} namespaces (/proc/self/ns/${ns} is missing)`);
  }
  if (!/\boverlay\b/.test(probe.filesystems)) problems.push('the kernel has no overlay filesystem: `modprobe overlay`');
  const missing = Object.keys(NEEDED).filter((p) => !probe.hasProgram(p));
  if (missing.length) {
    const packages = [...new Set(missing.map((p) => NEEDED[p]))].sort();
    problems.push(`missing programs: ${missing.join(', ')}; install them with:\n    apt-get install -y ${packages.join(' ')}`);
  }
  if (problems.length) throw new EnvironmentError(`this machine cannot run a firebreak lab:\n  - ${problems.join('\n  - ')}`);
}
