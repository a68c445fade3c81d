/**
 * `verify_packages`: package integrity with whatever the host has — `rpm -V`, `dpkg --verify`, or
 * `debsums -c` — by default over the packages an attacker tampers with (coreutils, procps, openssh,
 * util-linux, login, sudo…), or over everything with `all: true` (slow, and noisy on hosts where
 * tools updated themselves in place). The output is evidence; the parser turns it into findings.
 */
import { z } from 'zod';
import { quote, wrapEvidence } from '../core/index.js';
import { analyzeOutputs } from './collect-analyze.js';
import { defineStepType } from './define.js';

/** Packages whose binaries rootkits replace (Debian and RHEL-family names; absent ones are skipped). */
export const CRITICAL_PACKAGES = [
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

export const VERIFY_LABEL = 'packages/verify';

/** The host-side script: pick the tool, keep to installed packages, say which tool ran on the first line. */
export function verifyScript(packages: string[] | 'all'): string {
  const list = packages === 'all' ? '' : packages.map(quote).join(' ');
  const pick = (check: string) =>
    packages === 'all'
      ? ''
      : `set -- $(for p in ${list}; do ${check} && echo "$p"; done); [ $# -gt 0 ] || { echo "# none of the packages is installed"; exit 0; }; `;
  return [
    `if command -v rpm >/dev/null 2>&1 && [ -n "$(rpm -qa 2>/dev/null | head -n 1)" ]; then`,
    `  echo "# tool: rpm -V"; ${pick('rpm -q "$p" >/dev/null 2>&1')}rpm -V${packages === 'all' ? 'a' : ' "$@"'}; true`,
    `elif command -v dpkg >/dev/null 2>&1; then`,
    `  echo "# tool: dpkg --verify"; ${pick('dpkg-query -W -f=\'${Status}\' "$p" 2>/dev/null | grep -q " installed$"')}dpkg --verify${packages === 'all' ? '' : ' "$@"'}; true`,
    `elif command -v debsums >/dev/null 2>&1; then`,
    `  echo "# tool: debsums -c"; debsums -c; true`,
    `else echo "# tool: none (no rpm, dpkg or debsums on this host)"; fi`,
  ].join('\n');
}

export const verifyPackages = defineStepType({
  type: 'verify_packages',
  description: 'Verify installed packages (rpm -V / dpkg --verify / debsums -c); changed binaries become findings',
  schema: z.union([
    z.strictObject({
      packages: z
        .array(z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/, 'a package name'))
        .optional()
        .describe('Packages to verify (default: the ones rootkits tamper with)'),
      all: z.boolean().default(false).describe('Verify every installed package (slow)'),
    }),
    z.literal(true).transform(() => ({ all: false }) as { packages?: string[]; all: boolean }),
  ]),
  shellFields: [],
  changes: false,
  plan(p) {
    const script = verifyScript(p.all ? 'all' : (p.packages ?? CRITICAL_PACKAGES));
    return [
      {
        kind: 'evidence',
        label: VERIFY_LABEL,
        source: { kind: 'command', value: script },
        command: wrapEvidence(script, true),
      },
    ];
  },
  analyze(_p, outputs, ctx) {
    return analyzeOutputs(ctx.host, outputs);
  },
});
