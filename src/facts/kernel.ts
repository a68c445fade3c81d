/**
 * The kernel and the clock (evidence only, UAC `live_response/system` and `hardware/dmesg`): the
 * host's time and time zone (to line up every timestamp collected), loaded modules hidden from
 * /proc/modules, the kernel ring buffer, sysctl settings, the boot command line, binfmt_misc
 * handlers, security modules, eBPF programs and audit rules.
 */
import { defineFact } from './fact.js';
import { catWithHeaders } from './text.js';
import { capStream, MiB, runEach } from './sh.js';

/** Local and UTC time, epoch seconds, the time zone, NTP state and the RTC (read from /proc, never /dev/rtc). */
export const clockFact = defineFact({
  label: 'system/clock',
  command:
    "date '+local: %Y-%m-%dT%H:%M:%S%z %Z'; date -u '+utc: %Y-%m-%dT%H:%M:%SZ epoch: %s'; " +
    'echo "TZ=$TZ"; ls -l /etc/localtime 2>/dev/null; ' +
    catWithHeaders(['/etc/timezone', '/proc/driver/rtc']) +
    '; ' +
    runEach(['timedatectl status', 'timedatectl show']),
});

/**
 * Modules the kernel has loaded (`/sys/module/NAME/initstate`) that /proc/modules does not list: a
 * module hiding itself unlinks from the list but rarely from sysfs. One line per suspect; then
 * `modinfo` of every listed module (file, version, signer).
 */
export const moduleCrosscheckFact = defineFact({
  label: 'system/module-crosscheck',
  command:
    String.raw`n=0; for d in /sys/module/*; do [ -f "$d/initstate" ] || continue; m=$(basename "$d"); n=$((n + 1)); ` +
    String.raw`grep -q "^$m " /proc/modules 2>/dev/null || echo "not in /proc/modules: $m ($(cat "$d/initstate" 2>/dev/null))"; done; ` +
    String.raw`echo "# $n loadable modules in /sys/module, $(wc -l 2>/dev/null < /proc/modules) in /proc/modules"; ` +
    String.raw`if command -v modinfo >/dev/null 2>&1 && [ -s /proc/modules ]; then echo '==> modinfo <=='; modinfo $(cut -d' ' -f1 /proc/modules) 2>&1 | ${capStream(16 * MiB)}; fi`,
});

export const dmesgFact = defineFact({
  label: 'system/dmesg',
  requires: 'dmesg',
  command: `{ dmesg --time-format iso 2>/dev/null || dmesg; } 2>&1 | ${capStream(64 * MiB)}`,
});

export const sysctlFact = defineFact({
  label: 'system/sysctl',
  requires: 'sysctl',
  command: 'sysctl -a 2>/dev/null',
});

/** Boot command line, module loading lock, LSMs, SELinux/AppArmor state and binfmt_misc handlers. */
export const kernelRuntimeFact = defineFact({
  label: 'system/kernel-runtime',
  command:
    catWithHeaders([
      '/proc/cmdline',
      '/proc/sys/kernel/modules_disabled',
      '/proc/sys/kernel/kexec_load_disabled',
      '/sys/kernel/security/lsm',
      '/sys/module/apparmor/parameters/enabled',
      '/sys/fs/selinux/enforce',
      '/proc/sys/fs/binfmt_misc/*',
    ]) +
    '; ' +
    runEach(['getenforce', 'sestatus', 'aa-status']),
});

export const bpfFact = defineFact({
  label: 'system/bpf',
  requires: 'bpftool',
  command: runEach(['bpftool prog list', 'bpftool map list', 'bpftool link list', 'bpftool net list']),
});

export const auditRulesFact = defineFact({
  label: 'system/audit-rules',
  requires: 'auditctl',
  command: runEach(['auditctl -s', 'auditctl -l']),
});
