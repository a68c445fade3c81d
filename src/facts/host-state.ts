/**
 * The host's running state beyond processes (evidence only, UAC `live_response/system`,
 * `hardware`, `storage`, `containers`, `vms`): services and timers as the service manager sees
 * them, hardware, block devices and mounts, containers and virtual machines, and a listing of the
 * scratch directories malware likes (`/tmp`, `/var/tmp`, `/dev/shm`, `/run/shm`, hidden files
 * included) with hashes of the executables there. Copies of those files are in the heavy `files` set.
 */
import { defineFact } from './fact.js';
import { capStream, MiB, runEach } from './sh.js';

/** Units (transient and generated ones too), unit files with their enablement, timers, sockets; SysV services. */
export const servicesFact = defineFact({
  label: 'system/services',
  command: runEach([
    'systemctl list-units --all --no-pager --no-legend --plain',
    'systemctl list-unit-files --no-pager --no-legend',
    'systemctl list-timers --all --no-pager',
    'systemctl list-sockets --all --no-pager',
    'systemctl --failed --no-pager',
    'coredumpctl list --no-pager',
    'chkconfig --list',
    'runlevel',
  ]),
});

export const hardwareFact = defineFact({
  label: 'system/hardware',
  command: runEach(['lscpu', 'free -m', 'lspci -nn', 'lsusb', 'dmidecode -t system -t bios -t baseboard', 'vmstat -s']),
});

export const storageFact = defineFact({
  label: 'system/storage',
  command: runEach([
    'cat /proc/mounts',
    'cat /etc/fstab',
    'cat /proc/partitions',
    'cat /proc/swaps',
    'cat /proc/mdstat',
    'lsblk -o NAME,MAJ:MIN,TYPE,FSTYPE,SIZE,RO,MOUNTPOINT,UUID,MODEL',
    'findmnt -A',
    'blkid -c /dev/null',
    'fdisk -l',
    'pvs --readonly',
    'vgs --readonly',
    'lvs --readonly -a',
    'exportfs -v',
    'nfsstat -m',
  ]),
});

/**
 * Docker, Podman, containerd/CRI and LXC: containers (stopped too), images, networks, and per
 * container `inspect`, `top` and its last 10,000 log lines (16 MiB).
 */
export const containersFact = defineFact({
  label: 'system/containers',
  command:
    runEach([
      'docker version',
      'docker info',
      'docker ps -a --no-trunc --size',
      'docker images -a --no-trunc',
      'docker network ls --no-trunc',
      'docker stats --all --no-stream --no-trunc',
      'podman ps -a --no-trunc',
      'podman images --no-trunc',
      'crictl ps -a',
      'crictl pods',
      'crictl images',
      'ctr namespaces list',
      'ctr -n k8s.io containers list',
      'ctr -n moby containers list',
      'ctr -n default containers list',
      'lxc-ls -f',
    ]) +
    '; for e in docker podman; do command -v $e >/dev/null 2>&1 || continue; ids=$($e ps -aq 2>/dev/null); [ -n "$ids" ] || continue; ' +
    `printf '==> %s inspect <==\\n' $e; $e inspect $ids 2>&1 | ${capStream(64 * MiB)}; ` +
    `for i in $ids; do printf '==> %s top %s <==\\n' $e $i; $e top $i 2>&1 | head -c ${MiB}; ` +
    `printf '==> %s logs --tail 10000 %s <==\\n' $e $i; $e logs --tail 10000 $i 2>&1 | ${capStream(16 * MiB)}; done; done`,
});

export const vmsFact = defineFact({
  label: 'system/vms',
  command: runEach(['virsh list --all', 'qm list', 'VBoxManage list vms', 'VBoxManage list runningvms']),
});

/**
 * Every entry of the scratch directories (hidden ones too; `-xdev`): mtime, type and mode, owner,
 * size, path and link target; then the SHA-256 of each executable file there up to 10 MiB.
 */
export const scratchDirsFact = defineFact({
  label: 'system/scratch-dirs',
  command:
    String.raw`find /tmp /var/tmp /dev/shm /run/shm -xdev -printf '%TY-%Tm-%Td %TT\t%M\t%u:%g\t%s\t%p\t%l\n' 2>/dev/null | ${capStream(64 * MiB)}; ` +
    String.raw`echo '==> sha256 of executables <=='; find /tmp /var/tmp /dev/shm /run/shm -xdev -type f -perm /111 ! -size +10485760c -exec sha256sum {} + 2>/dev/null | ${capStream(16 * MiB)}`,
});
