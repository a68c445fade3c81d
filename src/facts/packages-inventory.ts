/**
 * What is installed and when (evidence only, UAC `live_response/packages` and `files/packages`):
 * the package inventory of every package manager present, and the install history kept in logs,
 * rotated and compressed ones included.
 */
import { defineFact } from './fact.js';
import { capStream, MiB, runEach } from './sh.js';

/** dpkg (name, version, arch, status), rpm (with install time and vendor), apk, snap, flatpak. */
export const packageInventoryFact = defineFact({
  label: 'system/packages',
  command:
    "if command -v dpkg-query >/dev/null 2>&1; then echo '==> dpkg-query -W <=='; " +
    "dpkg-query -W -f='${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n' 2>&1; fi; " +
    "if command -v rpm >/dev/null 2>&1; then echo '==> rpm -qa <=='; " +
    "rpm -qa --qf '%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{INSTALLTIME:date}\\t%{VENDOR}\\n' 2>&1 | sort; fi; " +
    runEach(['apk info -v', 'snap list --all', 'flatpak list']),
});

/** The package managers' own history logs (apt, dpkg, yum, dnf, zypper), rotated ones uncompressed, 32 MiB each. */
export const packageHistoryFact = defineFact({
  label: 'logs/package-history',
  command:
    'for f in /var/log/apt/history.log* /var/log/dpkg.log* /var/log/yum.log* /var/log/dnf.rpm.log* /var/log/zypp/history*; do ' +
    `[ -f "$f" ] || continue; printf '==> %s <==\\n' "$f"; zcat -f -- "$f" 2>&1 | ${capStream(32 * MiB)}; echo; done`,
});
