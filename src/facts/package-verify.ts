/**
 * Package verification with whatever the host has — `rpm -V`, `dpkg --verify` or `debsums -c` —
 * as one artifact: the script picks the tool, keeps to installed packages and says on its first
 * line which tool ran (`# tool: rpm -V`), so the parser knows how to read the rest.
 */
import { quote } from '../core/index.js';
import { defineFact } from './fact.js';
import { integrityFindings, parseDebsums, parseVerify, type PackageVerifyRecord } from './packages.js';

/** Packages whose binaries rootkits replace (Debian and RHEL-family names; absent ones are skipped). */
export const CRITICAL_PACKAGES: readonly string[] = [
  'coreutils',
  'procps',
  'procps-ng',
  'openssh-server',
  'openssh-client',
  'openssh',
  'openssh-clients',
  'util-linux',
  'login',
  'passwd',
  'shadow-utils',
  'sudo',
  'bash',
  'findutils',
  'grep',
  'sed',
  'iproute2',
  'iproute',
  'net-tools',
  'libc-bin',
  'glibc',
  'cron',
  'cronie',
  'libpam-modules',
  'libpam-runtime',
  'pam',
  'systemd',
  'lsof',
  'psmisc',
  'tar',
  'gzip',
  'dpkg',
  'rpm',
];

/** The host-side script for `packages` (names already validated by the step), or every package. */
export function verifyCommand(packages: readonly string[] | 'all'): string {
  const all = packages === 'all';
  const list = all ? '' : packages.map(quote).join(' ');
  const pick = (check: string) =>
    all
      ? ''
      : `set -- $(for p in ${list}; do ${check} && echo "$p"; done); [ $# -gt 0 ] || { echo "# none of the packages is installed"; exit 0; }; `;
  // C locale: the parser reads rpm's `missing`, which other locales translate
  return [
    `if command -v rpm >/dev/null 2>&1 && [ -n "$(rpm -qa 2>/dev/null | head -n 1)" ]; then`,
    `  echo "# tool: rpm -V"; ${pick('rpm -q "$p" >/dev/null 2>&1')}LC_ALL=C rpm -V${all ? 'a' : ' "$@"'}; true`,
    `elif command -v dpkg >/dev/null 2>&1; then`,
    `  echo "# tool: dpkg --verify"; ${pick('dpkg-query -W -f=\'${Status}\' "$p" 2>/dev/null | grep -q " installed$"')}LC_ALL=C dpkg --verify${all ? '' : ' "$@"'}; true`,
    `elif command -v debsums >/dev/null 2>&1; then`,
    `  echo "# tool: debsums -c"; LC_ALL=C debsums -c 2>&1; true`,
    `else echo "# tool: none (no rpm, dpkg or debsums on this host)"; fi`,
  ].join('\n');
}

export interface PackageVerification {
  /** The tool the first line names; undefined when none ran. */
  tool?: 'rpm' | 'dpkg' | 'debsums';
  records: PackageVerifyRecord[];
}

export function parsePackageVerify(text: string): PackageVerification {
  const tool = /^# tool: (\S+)/.exec(text)?.[1];
  if (tool === 'debsums') return { tool, records: parseDebsums(text) };
  if (tool === 'rpm' || tool === 'dpkg') return { tool, records: parseVerify(text, tool) };
  return { records: [] };
}

/** `command` verifies {@link CRITICAL_PACKAGES}; `commandFor` other packages or `'all'`. */
export const packageVerifyFact = defineFact<PackageVerification, Record<string, never>, readonly string[] | 'all'>({
  label: 'packages/verify',
  command: verifyCommand(CRITICAL_PACKAGES),
  commandFor: verifyCommand,
  parse: parsePackageVerify,
  findings: (host, v) => integrityFindings(host, v.records),
});
