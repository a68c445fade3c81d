/**
 * systemd units in the vendor directories (/usr/lib/systemd/system, /lib/…) that no package owns.
 * `persistence/systemd` trusts those directories, since packages install there; an attacker who
 * knows it drops `dbus-org.freedesktop.sync.service` beside the real ones. Ownership comes from
 * dpkg's file lists or the rpm database, read once (a file's /usr-less name counts too: dpkg's
 * lists predate the merged /usr); a host with neither says so and is not judged.
 *
 * Findings (`persistence.systemd`): an unowned unit that a target wants (a link in a `.wants/` or
 * `.requires/` directory, from `persistence/systemd`) or whose Exec lines look like a dropper is
 * high; one nothing starts is medium.
 */
import type { Finding } from '../core/index.js';
import { defineFact } from './fact.js';
import { parseSystemd, resolveTarget, systemdFact, type SystemdUnit } from './systemd.js';
import { finding, suspiciousCommand, unique } from './text.js';

export const NO_PACKAGE_DATABASE = '# no package database (dpkg, rpm) on this host: ownership of units not known';

const UNIT_NAMES = ['service', 'timer', 'socket', 'path'].map((s) => `-name '*.${s}'`).join(' -o ');

const SYSTEMD_UNOWNED_COMMAND =
  `d=/usr/lib/systemd/system; [ -L /lib ] || d="$d /lib/systemd/system"; ` +
  `if [ ! -d /var/lib/dpkg/info ] && ! command -v rpm >/dev/null 2>&1; then echo '${NO_PACKAGE_DATABASE}'; else ` +
  `{ cat /var/lib/dpkg/info/*.list 2>/dev/null; rpm -qa --qf '[%{FILENAMES}\\n]' 2>/dev/null; echo '=='; ` +
  `find $d -xdev -type f \\( ${UNIT_NAMES} \\) 2>/dev/null; } | ` +
  `awk '$0 == "==" { files = 1; next } { k = $0; sub(/^\\/usr\\//, "/", k) } !files { own[k] = 1; next } !(k in own)' | ` +
  String.raw`while IFS= read -r u; do printf '==> %s <==\n' "$u"; head -c 65536 -- "$u"; echo; done; fi`;

/** The /usr-less name, so /lib/… and /usr/lib/… are one file on a merged /usr. */
const canonical = (path: string): string => path.replace(/^\/usr\//, '/');

export function unownedUnitFindings(
  host: string,
  units: readonly SystemdUnit[],
  links: readonly SystemdUnit[] = [],
): Finding[] {
  const wants = links.filter((l) => l.type === 'link' && /\.(?:wants|requires)\//.test(l.path));
  return units
    .filter((u) => u.type === 'unit')
    .map((u) => {
      const enabledBy = wants
        .filter((l) => canonical(resolveTarget(l.path, l.target ?? '')) === canonical(u.path) || l.unit === u.unit)
        .map((l) => l.path);
      const reasons = unique(u.exec.flatMap((e) => suspiciousCommand(e)));
      const high = enabledBy.length > 0 || reasons.length > 0;
      const started = enabledBy.length
        ? `, wanted by ${enabledBy
            .map((p) =>
              p
                .split('/')
                .at(-2)
                ?.replace(/\.(?:wants|requires)$/, ''),
            )
            .join(', ')}`
        : '';
      return finding(
        host,
        'persistence.systemd',
        high ? 'high' : 'medium',
        `${u.path} is owned by no package${started}${u.exec[0] ? `: ${u.exec[0]}` : ''}`,
        { path: u.path, unit: u.unit, type: 'unowned', exec: u.exec, enabledBy, wantedBy: u.wantedBy, reasons },
      );
    });
}

export const systemdUnownedFact = defineFact<SystemdUnit[], { links: readonly SystemdUnit[] }>({
  label: 'persistence/systemd-unowned',
  command: SYSTEMD_UNOWNED_COMMAND,
  parse: parseSystemd,
  needs: { links: systemdFact },
  findings: (host, units, { links }) => unownedUnitFindings(host, units, links ?? []),
});
