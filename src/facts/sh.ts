/**
 * Shell snippets the evidence facts share. Everything here is fixed text (never user input), one
 * line of POSIX sh, and read-only on the host. Bounds are part of the snippet: a file or a stream
 * longer than its cap is cut and a marker line says so (`# truncated at N bytes of M`), so an
 * artifact can never grow without limit.
 */

/** Every absolute home directory in /etc/passwd, once each, one per line (names with spaces kept). */
export const HOMES = String.raw`awk -F: '$6 ~ /^\// {print $6}' /etc/passwd | sort -u`;

/** Per user home: each of `names` (relative paths, no globs) inside it, with `==> path <==` headers. */
export function perUser(names: readonly string[]): string {
  return `${HOMES} | while IFS= read -r h; do for n in ${names.join(' ')}; do f="$h/$n"; [ -f "$f" ] || continue; printf '==> %s <==\\n' "$f"; cat -- "$f"; echo; done; done`;
}

/** Defines `cap FILE`: the first `max` bytes of FILE, then `# truncated at MAX bytes of SIZE` when it is longer. */
export function capFunction(max: number): string {
  return String.raw`cap() { s=$(wc -c < "$1" 2>/dev/null) || s=0; head -c ${max} -- "$1"; [ "$s" -le ${max} ] || printf '\n# truncated at ${max} bytes of %s\n' "$s"; }`;
}

/** A pipeline stage passing the first `max` bytes of its input, then `# truncated at MAX bytes` when more followed. */
export function capStream(max: number): string {
  return String.raw`{ head -c ${max}; [ "$(head -c 1 | wc -c)" -eq 0 ] || printf '\n# truncated at ${max} bytes\n'; }`;
}

/**
 * Every regular file among `globs` (fixed, deliberately unquoted so that they expand) after a
 * `==> path <==` header, each cut at `max` bytes with a marker.
 */
export function catCapped(globs: readonly string[], max: number): string {
  return `${capFunction(max)}; for f in ${globs.join(' ')}; do [ -f "$f" ] || continue; printf '==> %s <==\\n' "$f"; cap "$f"; echo; done 2>/dev/null`;
}

/**
 * Each command (a program and fixed arguments, no quotes or globs) after a `==> command <==`
 * header, its stderr merged; a program the host lacks is one `# absent: NAME` line.
 */
export function runEach(commands: readonly string[]): string {
  return `for c in ${commands.map((c) => `'${c}'`).join(' ')}; do set -- $c; command -v "$1" >/dev/null 2>&1 || { printf '# absent: %s\\n' "$1"; continue; }; printf '==> %s <==\\n' "$c"; $c 2>&1 </dev/null; echo; done`;
}

/**
 * The mount points of the host's local filesystems (UAC walks `/` skipping only procfs; network
 * filesystems, sysfs and cgroup are left out here too), one per line: a block device once (its bind
 * mounts share its st_dev, so `find -xdev` from the first one walks them; btrfs subvolumes kept),
 * every tmpfs outside /proc and /sys, each mount point once, and overlays except container
 * runtimes' merged views (their layers are walked where they live, under /var/lib).
 */
export const LOCAL_MOUNTS = String.raw`awk '($3 ~ /^(ext[234]|xfs|btrfs|zfs|f2fs|jfs|reiserfs|vfat|exfat|ntfs3?|tmpfs)$/ || ($3 == "overlay" && $2 !~ /\/(docker|containers|containerd|kubelet)\//)) && $2 !~ /^\/(proc|sys)(\/|$)/ && ($1 !~ /^\// || $3 == "btrfs" || !seen[$1]++) && !mp[$2]++ {gsub(/\\040/, " ", $2); print $2}' /proc/mounts`;

/** `find` over every local filesystem, one at a time with `-xdev`, with `expression` (tests and actions). */
export function findLocal(expression: string): string {
  return `${LOCAL_MOUNTS} | while IFS= read -r m; do find "$m" -xdev ${expression}; done 2>/dev/null`;
}

/** 1 MiB, 10 MiB, 1 GiB: the caps below are multiples of these. */
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/**
 * Defines `owner FILE`, printing the package manager that owns FILE: `dpkg`, `rpm`, or `-` when no
 * package does. dpkg's lists predate the merged /usr, so `/usr/bin/su` is also looked up as `/bin/su`.
 * Read-only: dpkg's file lists or `rpm -qf`.
 */
export const OWNER_FUNCTION =
  'owner() { if [ -d /var/lib/dpkg/info ]; then a=$1; case "$1" in /usr/bin/*|/usr/sbin/*|/usr/lib/*|/usr/lib64/*) a=${1#/usr};; esac; ' +
  String.raw`if grep -qxF -e "$1" -e "$a" /var/lib/dpkg/info/*.list 2>/dev/null; then echo dpkg; return; fi; fi; ` +
  String.raw`if command -v rpm >/dev/null 2>&1 && rpm -qf -- "$1" >/dev/null 2>&1; then echo rpm; return; fi; echo -; }`;
