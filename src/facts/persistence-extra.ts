/**
 * Persistence places beyond cron, systemd units in /etc and rc files (evidence only, UAC
 * `files/system`): at jobs, SysV init and upstart, XDG autostart, PAM (configuration and a hash of
 * every module), udev rules, login banners and motd scripts, package-manager hooks and sources,
 * the systemd runtime (transient and generated units) and the vendor unit files in /usr/lib.
 */
import { hookFindings, parsePackageHooks, parsePam, pamFindings } from './config-hooks.js';
import { defineFact } from './fact.js';
import { catCapped, HOMES, MiB } from './sh.js';
import { catWithHeaders } from './text.js';

export const atJobsFact = defineFact({
  label: 'persistence/at-jobs',
  command: catCapped(
    [
      '/var/spool/cron/atjobs/*',
      '/var/spool/at/*',
      '/var/spool/at/spool/*',
      '/var/spool/atjobs/*',
      '/etc/at.allow',
      '/etc/at.deny',
      '/etc/cron.allow',
      '/etc/cron.deny',
    ],
    MiB,
  ),
});

export const initFact = defineFact({
  label: 'persistence/init',
  command:
    'ls -la /etc/init.d /etc/rc0.d /etc/rc1.d /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d /etc/rc6.d /etc/rcS.d /etc/rc.d 2>/dev/null; ' +
    catCapped(['/etc/init.d/*', '/etc/init/*.conf', '/etc/xdg/autostart/*.desktop'], MiB) +
    `; ${HOMES} | while IFS= read -r h; do for f in "$h"/.config/autostart/*.desktop; do [ -f "$f" ] || continue; printf '==> %s <==\\n' "$f"; cap "$f"; echo; done; done 2>/dev/null`,
});

export const pamFact = defineFact({
  label: 'persistence/pam',
  parse: parsePam,
  findings: pamFindings,
  command:
    catWithHeaders(['/etc/pam.conf', '/etc/pam.d/*', '/etc/security/pam_env.conf', '/etc/environment']) +
    "; echo '==> sha256 of PAM modules <=='; find /lib/security /lib64/security /usr/lib/security /usr/lib64/security /lib/*/security /usr/lib/*/security " +
    "-maxdepth 1 -name '*.so' -exec sha256sum {} + 2>/dev/null",
});

export const udevFact = defineFact({
  label: 'persistence/udev',
  command: catCapped(
    ['/etc/udev/rules.d/*', '/run/udev/rules.d/*', '/usr/local/lib/udev/rules.d/*', '/usr/lib/udev/rules.d/*'],
    MiB,
  ),
});

export const motdFact = defineFact({
  label: 'persistence/motd',
  command: catCapped(['/etc/motd', '/etc/update-motd.d/*', '/etc/issue', '/etc/issue.net', '/run/motd.dynamic'], MiB),
});

export const packageHooksFact = defineFact({
  label: 'persistence/package-hooks',
  parse: parsePackageHooks,
  findings: (host, hooks) => hookFindings(host, hooks, 'package hook'),
  command: catCapped(
    [
      '/etc/apt/apt.conf',
      '/etc/apt/apt.conf.d/*',
      '/etc/apt/sources.list',
      '/etc/apt/sources.list.d/*',
      '/etc/dpkg/dpkg.cfg',
      '/etc/dpkg/dpkg.cfg.d/*',
      '/etc/yum.conf',
      '/etc/yum/pluginconf.d/*',
      '/etc/yum.repos.d/*',
      '/etc/dnf/dnf.conf',
      '/etc/dnf/plugins/*',
      '/usr/lib/yum-plugins/*',
      '/etc/rpm/macros*',
    ],
    MiB,
  ),
});

/** D-Bus system services and policies, polkit rules, NetworkManager dispatcher scripts: root code run on events. */
export const dbusPolkitFact = defineFact({
  label: 'persistence/dbus-polkit',
  command: catCapped(
    [
      '/etc/dbus-1/system.d/*',
      '/usr/share/dbus-1/system.d/*',
      '/usr/share/dbus-1/system-services/*',
      '/etc/polkit-1/rules.d/*',
      '/usr/share/polkit-1/rules.d/*',
      '/etc/polkit-1/localauthority/*/*',
      '/var/lib/polkit-1/localauthority/*/*',
      '/etc/NetworkManager/dispatcher.d/*',
    ],
    MiB,
  ),
});

/** Transient units (`systemd-run`) and generator output: units that exist in no file under /etc. */
export const systemdRuntimeFact = defineFact({
  label: 'persistence/systemd-runtime',
  command: catCapped(
    [
      '/run/systemd/transient/*',
      '/run/systemd/generator/*',
      '/run/systemd/generator.early/*',
      '/run/systemd/generator.late/*',
      '/run/systemd/sessions/*',
      '/run/user/*/systemd/transient/*',
      '/root/.local/share/systemd/user/*',
      '/home/*/.local/share/systemd/user/*',
    ],
    MiB,
  ),
});

/** Vendor unit files (/usr/lib/systemd, /lib/systemd when /lib is not a link to it) with content; generators hashed. */
export const systemdVendorFact = defineFact({
  label: 'persistence/systemd-vendor',
  command:
    String.raw`d='/usr/lib/systemd/system /usr/lib/systemd/user /usr/share/systemd/user /usr/local/share/systemd/user /usr/local/lib/systemd/user'; [ -L /lib ] || d="$d /lib/systemd/system /lib/systemd/user"; ` +
    // Links by find itself, files by one \`head -v\` per batch (its own ==> headers): not a process per file.
    String.raw`find $d -xdev -type l -printf '==> %p -> %l <==\n' 2>/dev/null; find $d -xdev -type f -exec head -v -c 1048576 -- {} + 2>/dev/null; ` +
    String.raw`echo '==> sha256 of generators <=='; find /usr/lib/systemd/system-generators /usr/lib/systemd/user-generators /lib/systemd/system-generators /etc/systemd/system-generators -type f -exec sha256sum {} + 2>/dev/null`,
});
