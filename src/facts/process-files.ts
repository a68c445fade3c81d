/**
 * What each process holds (evidence only, UAC `live_response/process`): its environment, memory
 * maps and open files, `lsof`, and the binaries and open files that were deleted from disk but
 * live on through a process. Content of deleted files is in the heavy `files` set (files-scratch.ts).
 */
import { defineFact } from './fact.js';
import { lines } from './text.js';
import { capStream, MiB } from './sh.js';

/** `/proc/PID/FILE` of every process after a `==> path <==` header, each cut at `max` bytes. */
function perProcess(file: string, max: number, filter = 'cat'): string {
  return String.raw`for d in /proc/[0-9]*; do [ -r "$d/${file}" ] || continue; printf '==> %s <==\n' "$d/${file}"; ${filter} 2>/dev/null < "$d/${file}" | head -c ${max}; echo; done`;
}

/** Environment variables of every process (one per line), 64 KiB per process, 64 MiB in all. */
export const environFact = defineFact({
  label: 'processes/environ',
  command: `${perProcess('environ', 65536, "tr '\\000' '\\n'")} | ${capStream(64 * MiB)}`,
});

/** Memory maps of every process (libraries, anonymous executable regions, memfd), 256 KiB each, 64 MiB in all. */
export const mapsFact = defineFact({
  label: 'processes/maps',
  command: `${perProcess('maps', 262144)} | ${capStream(64 * MiB)}`,
});

/** `status` and the kernel stack of every process (8 KiB each), 64 MiB in all. */
export const statusFact = defineFact({
  label: 'processes/status',
  command: String.raw`for d in /proc/[0-9]*; do for n in status stack; do [ -r "$d/$n" ] || continue; printf '==> %s <==\n' "$d/$n"; head -c 8192 2>/dev/null < "$d/$n"; done; done | ${capStream(64 * MiB)}`,
});

/** The mounts of each mount namespace (first process seen in it): containers and `unshare` hide files there. */
export const namespaceMountsFact = defineFact({
  label: 'processes/mount-namespaces',
  command: String.raw`seen=' '; for d in /proc/[0-9]*; do n=$(readlink "$d/ns/mnt" 2>/dev/null) || continue; case "$seen" in *" $n "*) continue;; esac; seen="$seen$n "; printf '==> %s (%s) <==\n' "$d/mountinfo" "$n"; head -c 1048576 2>/dev/null < "$d/mountinfo"; done`,
});

/** Open file descriptors of every process, as `ls -l` shows their targets. */
export const fdsFact = defineFact({
  label: 'processes/fds',
  command: `ls -l /proc/[0-9]*/fd/ 2>/dev/null | ${capStream(64 * MiB)}`,
});

/** `lsof` without name lookups or blocking kernel calls (a hung NFS mount cannot stall it). */
export const lsofFact = defineFact({
  label: 'processes/lsof',
  requires: 'lsof',
  command: `lsof -nPl -b -w 2>&1 | ${capStream(128 * MiB)}`,
});

/**
 * Executables and open files deleted from disk (`(deleted)` links in /proc/PID/exe and fd/,
 * memfd included): `exe|fd`, the /proc path, its target, size, and the SHA-256 of deleted
 * executables (read through /proc, which still holds them).
 */
export interface DeletedFile {
  kind: 'exe' | 'fd';
  pid: number;
  /** The descriptor number, for `fd`. */
  fd?: number;
  /** `/path (deleted)`, `/memfd:name (deleted)`. */
  target: string;
  size?: number;
  sha256?: string;
}

export function parseDeleted(text: string): DeletedFile[] {
  const out: DeletedFile[] = [];
  for (const line of lines(text)) {
    const [kind, path, target, size, sha] = line.split('\t');
    const m = /^\/proc\/(\d+)\/(?:exe|fd\/(\d+))$/.exec(path ?? '');
    if (!m || (kind !== 'exe' && kind !== 'fd') || !target) continue;
    const rec: DeletedFile = { kind, pid: Number(m[1]), target };
    if (m[2] !== undefined) rec.fd = Number(m[2]);
    if (/^\d+$/.test(size ?? '')) rec.size = Number(size);
    if (/^[0-9a-f]{64}$/.test(sha ?? '')) rec.sha256 = sha as string;
    out.push(rec);
  }
  return out;
}

export const deletedFact = defineFact({
  label: 'processes/deleted',
  parse: parseDeleted,
  command:
    String.raw`t=$(printf '\t'); printf 'kind\tpath\ttarget\tsize\tsha256\n'; ` +
    String.raw`find /proc/[0-9]*/exe /proc/[0-9]*/fd -maxdepth 1 -type l -lname '*(deleted)' -printf '%p\t%l\n' 2>/dev/null | ` +
    String.raw`while IFS="$t" read -r p l; do s=$(stat -L -c %s "$p" 2>/dev/null) || s=-; case "$p" in ` +
    String.raw`*/exe) k=exe; h=$(sha256sum < "$p" 2>/dev/null | cut -d' ' -f1);; *) k=fd; h=-;; esac; ` +
    String.raw`printf '%s\t%s\t%s\t%s\t%s\n' "$k" "$p" "$l" "$s" "$h"; done`,
});
