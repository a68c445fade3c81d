/**
 * The heavy `files` set: copies of files, as UAC's `files/*` collectors take them. Off in the
 * read-only triage runbook (it can move gigabytes), on in the incident runbooks. Every artifact is
 * bounded per file and in all, and nothing is written on the host: archives stream to the
 * controller (`tar … -czf -`), tar's own messages are dropped so they cannot corrupt the stream,
 * and a stream cut at its cap is a truncated archive (extractable up to the cut).
 *
 * - scratch directories: every file and link in /tmp, /var/tmp, /dev/shm, /run/shm up to 10 MiB
 *   (hidden ones too), 2 GiB in all;
 * - logs: everything under /var/log and /run/log up to 1 GiB per file (rotated, compressed, the
 *   journal, audit), 8 GiB in all;
 * - /etc (and /usr/local/etc) without password hashes and private keys (see ssh-files.ts), 1 GiB;
 * - system state outside /etc: /boot, dracut, /var/spool, package and service databases, 4 GiB;
 * - desktop traces of every home (recently used files, trash, session errors), 1 GiB;
 * - deleted binaries and deleted open files still held by a process, read through /proc, 20 MiB
 *   each (UAC: 20,000 KiB), base64 after a `==> /proc/PID/… -> target (deleted) <==` header.
 */
import { defineFact } from './fact.js';
import { capStream, GiB, HOMES } from './sh.js';

/** An hour: a heavy artifact's own timeout when longer than collect's `item_timeout`. */
const HEAVY_TIMEOUT = 3600;

/** tar.gz of the files `find` lists (NUL-separated), members relative to `/`, cut at `max` bytes. */
function archive(find: string, max: number): string {
  return `${find} -print0 2>/dev/null | tar --null --no-recursion -T - -czf - 2>/dev/null | head -c ${max}`;
}

export const scratchArchiveFact = defineFact({
  label: 'files/scratch.tar.gz',
  timeout: HEAVY_TIMEOUT,
  command: archive(
    String.raw`find /tmp /var/tmp /dev/shm /run/shm -xdev \( -type f -o -type l \) ! -size +10485760c`,
    2 * GiB,
  ),
});

export const logArchiveFact = defineFact({
  label: 'files/logs.tar.gz',
  timeout: HEAVY_TIMEOUT,
  command: archive(
    String.raw`find /var/log /run/log /opt/*/logs /usr/local/*/logs /var/lib/tomcat*/logs /usr/share/tomcat*/logs -xdev \( -type f -o -type l \) ! -size +1073741824c`,
    8 * GiB,
  ),
});

/**
 * System state kept outside /etc and /var/log that UAC copies: kernel configs, System.map and
 * initramfs images and grub.cfg in /boot, dracut modules, /var/spool (mail and print queues,
 * cron and at spools), the dpkg status database, NetworkManager, polkit and D-Bus definitions,
 * and the Azure agent's downloaded run-commands; 1 GiB per file, 4 GiB in all.
 */
export const systemArchiveFact = defineFact({
  label: 'files/system.tar.gz',
  timeout: HEAVY_TIMEOUT,
  command: archive(
    String.raw`find /boot/config* /boot/initramfs* /boot/initrd* /boot/symvers* /boot/System.map* /boot/grub/grub.cfg /boot/grub2/grub.cfg /lib/dracut /usr/lib/dracut /var/spool /var/lib/dpkg/status /var/lib/NetworkManager /var/lib/polkit-1 /usr/share/polkit-1 /usr/lib/polkit-1 /usr/share/dbus-1 /var/lib/waagent/run-command/download -xdev \( -type f -o -type l \) ! -size +1073741824c`,
    4 * GiB,
  ),
});

/**
 * Desktop traces of every home (UAC `files/system`: recently used files, X session errors, trash
 * records, GVfs metadata, Tracker and KDE activity databases, .desktop launchers) and paired
 * Bluetooth devices; 100 MiB per file, 1 GiB in all. Servers mostly have none of it.
 */
export const desktopArchiveFact = defineFact({
  label: 'files/desktop.tar.gz',
  timeout: HEAVY_TIMEOUT,
  command:
    String.raw`{ ${HOMES} | while IFS= read -r h; do find "$h/.local/share/recently-used.xbel" "$h/.xsession-errors" "$h/.xsession-errors.old" "$h/.local/share/Trash/info" "$h/.local/share/gvfs-metadata" "$h/.local/share/tracker" "$h/.cache/tracker3" "$h/.local/share/kactivitymanagerd" "$h/.local/share/applications" -xdev \( -type f -o -type l \) ! -size +104857600c -print0; done; ` +
    String.raw`find /var/lib/bluetooth -xdev \( -type f -o -type l \) ! -size +104857600c -print0; } 2>/dev/null | tar --null --no-recursion -T - -czf - 2>/dev/null | head -c ${GiB}`,
});

/** Left out of the /etc archive: password hashes and private keys. */
const ETC_EXCLUDES = [
  'etc/shadow',
  'etc/shadow-',
  'etc/gshadow',
  'etc/gshadow-',
  'etc/security/opasswd',
  'etc/ssh/ssh_host_*_key',
  'etc/ssl/private',
  'etc/pki/tls/private',
];

export const etcArchiveFact = defineFact({
  label: 'files/etc.tar.gz',
  timeout: HEAVY_TIMEOUT,
  command: `tar -C / ${ETC_EXCLUDES.map((e) => `--exclude='${e}'`).join(' ')} -czf - etc $(cd / && ls -d usr/local/etc 2>/dev/null) 2>/dev/null | head -c ${GiB}`,
});

/**
 * Content of every deleted executable and deleted open file (memfd included) a process holds,
 * each distinct inode once, 20 MiB each, base64; 2 GiB in all.
 */
export const deletedContentFact = defineFact({
  label: 'files/deleted',
  timeout: HEAVY_TIMEOUT,
  command:
    String.raw`t=$(printf '\t'); seen=' '; find /proc/[0-9]*/exe /proc/[0-9]*/fd -maxdepth 1 -type l -lname '*(deleted)' ! -lname '/dev/*' -printf '%p\t%l\n' 2>/dev/null | ` +
    String.raw`while IFS="$t" read -r p l; do [ -f "$p" ] || continue; k=$(stat -L -c '%d:%i' "$p" 2>/dev/null) || continue; ` +
    String.raw`case "$seen" in *" $k "*) continue;; esac; seen="$seen$k "; s=$(stat -L -c %s "$p"); ` +
    String.raw`printf '==> %s -> %s <==\n' "$p" "$l"; head -c 20971520 "$p" | base64; [ "$s" -le 20971520 ] || printf '# truncated at 20971520 bytes of %s\n' "$s"; done | ` +
    capStream(2 * GiB),
});
