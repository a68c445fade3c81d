/**
 * The heavy `timeline` set: walks of every local filesystem (sh.ts `findLocal`: `/` and the other
 * local mounts, each with `-xdev`; never /proc, /sys or network filesystems), as UAC's `bodyfile`
 * and `hash_executables` do. Off in the read-only triage runbook, on in the incident runbooks.
 *
 * - a bodyfile (The Sleuth Kit 3.x: `MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime`,
 *   MD5 and crtime 0) for `mactime`, 4 GiB at most;
 * - SHA-256 of every file with an execute bit, 1 GiB of lines;
 * - files and directories marked immutable or append-only; SUID/SGID files and file capabilities,
 *   with their findings, are in special-files.ts.
 */
import { defineFact } from './fact.js';
import { capStream, findLocal, GiB, MiB } from './sh.js';

const HEAVY_TIMEOUT = 3600;

export const bodyfileFact = defineFact({
  label: 'timeline/bodyfile',
  timeout: HEAVY_TIMEOUT,
  command: `${findLocal(String.raw`-printf '0|%p|%i|%M|%U|%G|%s|%As|%Ts|%Cs|0\n'`)} | ${capStream(4 * GiB)}`,
});

export const executableHashesFact = defineFact({
  label: 'timeline/executable-hashes',
  timeout: HEAVY_TIMEOUT,
  command: `${findLocal('-type f -perm /111 -exec sha256sum {} +')} | ${capStream(GiB)}`,
});

/** `lsattr` flags of files and directories with `i` (immutable) or `a` (append-only): the rootkit's lock on its files. */
export const immutableFact = defineFact({
  label: 'timeline/immutable',
  requires: 'lsattr',
  timeout: HEAVY_TIMEOUT,
  command: `${findLocal('\\( -type f -o -type d \\) -exec lsattr -d {} +')} | awk '$1 ~ /[ia]/' | ${capStream(64 * MiB)}`,
});
