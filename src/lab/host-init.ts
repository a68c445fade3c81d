/**
 * PID 1 of every lab host: a short bash script run by `unshare` in fresh net, mount, UTS, IPC and PID
 * namespaces. It stacks the host's copy-on-write layers over the machine's directories, gives it its
 * own /dev, /proc, /run and /tmp, starts rsyslogd (so sshd's auth events land in the host's own
 * /var/log/auth.log) and sshd, then reaps orphans forever. Everything it mounts lives only in its
 * mount namespace and vanishes when it dies.
 */

/** Directories that get a per-host writable layer over the machine's copy. */
export const LAYERED_DIRS = ['etc', 'var', 'usr', 'home', 'srv', 'opt', 'root'] as const;

/** Marker in the command line of every lab init, checked before we ever kill a PID from lab.json. */
export const INIT_MARKER = 'firebreak-lab-init';

export const HOST_INIT_SCRIPT = `#!/bin/bash
# ${INIT_MARKER}: PID 1 of a firebreak lab host. Arguments: LAYERS_DIR HOSTNAME
set -euo pipefail
# Descriptors inherited from whoever ran \`lab up\` are not the host's business (255 is bash's own script fd).
for fd in $(ls /proc/self/fd); do case $fd in 0|1|2|255) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac; done
L=$1
hostname "$2"
for d in etc var usr home srv opt; do
  mount -t overlay "lab-$d" -o "lowerdir=/$d,upperdir=$L/upper/$d,workdir=$L/work/$d" "/$d"
done
# root's home starts from /etc/skel, not the machine's /root (whose shell setup is slow and private).
mount -t overlay lab-root -o "lowerdir=/etc/skel,upperdir=$L/upper/root,workdir=$L/work/root" /root
mount -t tmpfs -o mode=1777,nosuid,nodev lab-tmp /tmp
mount -t tmpfs -o mode=755,nosuid,nodev lab-run /run
mount -t proc proc /proc
mount -t tmpfs -o mode=755,nosuid,size=1m lab-dev /dev
mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/zero c 1 5; mknod -m 666 /dev/full c 1 7
mknod -m 666 /dev/random c 1 8; mknod -m 666 /dev/urandom c 1 9; mknod -m 666 /dev/tty c 5 0
mkdir /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts /dev/pts
ln -s pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777,nosuid,nodev lab-shm /dev/shm
ln -s /proc/self/fd /dev/fd; ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout; ln -s /proc/self/fd/2 /dev/stderr
mkdir -p /run/sshd /run/lock; chmod 1777 /run/lock
install -m 664 -g utmp /dev/null /run/utmp
rsyslogd -i /run/rsyslogd.pid
/usr/sbin/sshd
echo "ready $$"
trap 'exit 0' TERM
# PID 1 of the namespace: bash's SIGCHLD handling reaps the orphans reparented to us.
while :; do sleep 3600 & wait $! || true; done
`;

/** PID 1 of the attacker namespace: nothing but a network to attack from, and a reaper. */
export const ATTACKER_INIT_SCRIPT = `#!/bin/bash
# ${INIT_MARKER}: the lab's attacker namespace
for fd in $(ls /proc/self/fd); do case $fd in 0|1|2|255) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac; done
mount -t proc proc /proc
echo "ready $$"
trap 'exit 0' TERM
while :; do sleep 3600 & wait $! || true; done
`;

/** rsyslog: the host's sockets only (no kernel log: that would be the machine's), Debian's file layout. */
export const RSYSLOG_CONF = `module(load="imuxsock")
$FileOwner root
$FileGroup adm
$FileCreateMode 0640
auth,authpriv.*                 /var/log/auth.log
*.*;auth,authpriv.none          -/var/log/syslog
kern.*                          -/var/log/kern.log
cron.*                          -/var/log/cron.log
`;

export const SSHD_CONFIG = `# firebreak lab host sshd. Password logins stay on, like the servers the scenarios model.
Port 22
ListenAddress 0.0.0.0
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM yes
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
MaxStartups 200:30:400
SyslogFacility AUTH
LogLevel INFO
PidFile /run/sshd.pid
`;
