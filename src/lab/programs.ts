/**
 * Programs firebreak runs on this machine, each with the Debian package that provides it. Declared
 * once: the lab's own needs here, a scenario's in its file (`requires:`), the tests' in
 * test/helpers/programs.ts. The lab's preflight checks the machine against these declarations, and a
 * test proves scripts/install-deps.sh installs every package they name, so the install script cannot
 * drift from what the code runs.
 */

/** program name (as found on PATH) → Debian package that provides it. */
export type ProgramPackages = Readonly<Record<string, string>>;

/** One declared program and who needs it, for messages ("crontab (scenario outbound-ssh-bruteforce)"). */
export interface ProgramNeed {
  program: string;
  package: string;
  /** Who declared it: `the lab`, `scenario NAME`, `the tests`. */
  by: string;
}

/**
 * What a lab runs for itself and what the shipped runbooks run on its hosts (lab hosts share this
 * machine's /usr, so a program missing here is missing on every lab host).
 */
export const LAB_PROGRAMS: ProgramPackages = {
  // namespaces, mounts and logins of the hosts
  unshare: 'util-linux',
  nsenter: 'util-linux',
  utmpdump: 'util-linux',
  setsid: 'util-linux',
  // the lab network, its faults and the hosts' firewalls
  ip: 'iproute2',
  tc: 'iproute2',
  ss: 'iproute2',
  iptables: 'iptables',
  'iptables-save': 'iptables',
  nft: 'nftables',
  conntrack: 'conntrack',
  // each host's sshd and syslog; the client key and known_hosts
  sshd: 'openssh-server',
  'ssh-keygen': 'openssh-client',
  ssh: 'openssh-client',
  rsyslogd: 'rsyslog',
  // what the incident runbooks run on the hosts: processes, accounts, packages, archives
  ps: 'procps',
  pgrep: 'procps',
  usermod: 'passwd',
  chage: 'passwd',
  dpkg: 'dpkg',
  tar: 'tar',
  gzip: 'gzip',
  // file capabilities and immutable flags the collection reads
  getcap: 'libcap2-bin',
  lsattr: 'e2fsprogs',
};

/** What the loopback sshd fleet (tests, bench) runs. */
export const FLEET_PROGRAMS: ProgramPackages = {
  sshd: 'openssh-server',
  'ssh-keygen': 'openssh-client',
  unshare: 'util-linux',
};

/** Flatten declarations into needs, one per program (the first declaration of a program wins). */
export function programNeeds(...declarations: readonly { by: string; programs: ProgramPackages }[]): ProgramNeed[] {
  const seen = new Map<string, ProgramNeed>();
  for (const { by, programs } of declarations) {
    for (const [program, pkg] of Object.entries(programs)) {
      if (!seen.has(program)) seen.set(program, { program, package: pkg, by });
    }
  }
  return [...seen.values()];
}

/** `missing programs: …; install them with: apt-get install -y …`, or undefined when nothing is missing. */
export function describeMissing(
  needs: readonly ProgramNeed[],
  hasProgram: (name: string) => boolean,
): string | undefined {
  const missing = needs.filter((n) => !hasProgram(n.program));
  if (!missing.length) return undefined;
  const names = missing.map((n) => (n.by === 'the lab' ? n.program : `${n.program} (${n.by})`));
  const packages = [...new Set(missing.map((n) => n.package))].sort();
  return `missing programs: ${names.join(', ')}; install them with:\n    apt-get install -y ${packages.join(' ')}`;
}
