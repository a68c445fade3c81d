/**
 * The remote side of evidence collection: wrap a command so its stdout is the artifact byte for byte,
 * while the host hashes the very same bytes (tee into sha256sum) and reports the hash and the
 * command's exit code on stderr. Plain POSIX sh, no temp files on the host (it may be full or hostile).
 */

/**
 * `inner`'s stdout (plus its stderr when `mergeStderr`, as a responder reading `ps` wants) becomes the
 * artifact. stderr gets `fb-rc=N`, `fb-sha256=HEX` and `fb-bytes=N` lines.
 */
export function wrapEvidence(inner: string, mergeStderr: boolean): string {
  const errs = mergeStderr ? '2>&1' : '2>&4';
  // `( … )`: an `exit` in the command ends only its subshell, so the exit code is still reported.
  // tee writes the artifact to its own stdout (fd 3, the channel: no reopening, which fails for a
  // socket) and a copy to /dev/fd/5, a pipe, which reopens fine. The copy goes through dd, whose
  // "N bytes copied" line on fd 6 is the size the host sent, into sha256sum. Three programs per
  // artifact (tee, dd, sha256sum), the rest is the shell's own: this wrapper runs for every artifact.
  return (
    `{ { { ( ${inner}\n ); echo "fb-rc=$?" >&4; } ${errs} | tee /dev/fd/5 >&3; } 5>&1 | ` +
    `{ LC_ALL=C dd bs=65536 2>&6 | sha256sum | { read -r h _; echo "fb-sha256=$h" >&4; }; } 6>&1 | ` +
    `{ while read -r n w _; do case $w in byte|bytes) echo "fb-bytes=$n" >&4;; esac; done; }; } 3>&1 4>&2`
  );
}

/** The fields of a collected file that `fileMetadata()` reports: what a file's acquisition records. */
export interface FileMetadata {
  /** Octal permission bits, e.g. `644` or `4755`. */
  mode: string;
  uid: number;
  gid: number;
  owner: string;
  group: string;
  inode: number;
  size: number;
  /** UTC ISO times of last access, modification and status change. */
  atime: string;
  mtime: string;
  ctime: string;
}

/**
 * A command that prints `fb-stat=…` for `quotedPath` on stderr (nothing when stat fails), before the
 * file is read: its metadata as it was when collected.
 */
export function fileMetadata(quotedPath: string): string {
  return `stat -c 'fb-stat=%a %u %g %i %s %X %Y %Z %U %G' -- ${quotedPath} >&2 2>/dev/null`;
}

function parseStat(line: string): FileMetadata | undefined {
  const m = /^fb-stat=([0-7]+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\S+) (\S+)$/.exec(line);
  if (!m) return undefined;
  const iso = (s: string) => new Date(Number(s) * 1000).toISOString();
  return {
    mode: m[1] as string,
    uid: Number(m[2]),
    gid: Number(m[3]),
    inode: Number(m[4]),
    size: Number(m[5]),
    atime: iso(m[6] as string),
    mtime: iso(m[7] as string),
    ctime: iso(m[8] as string),
    owner: m[9] as string,
    group: m[10] as string,
  };
}

export interface EvidenceTrailer {
  /** Exit code of the wrapped command; null when the host never reported one (killed, odd shell). */
  rc: number | null;
  /** SHA-256 the host computed, or null. */
  sha256: string | null;
  /** Bytes the host counted in the artifact it sent, or null. */
  bytes: number | null;
  /** stderr without our marker lines. */
  stderr: string;
  /** The collected file's metadata, when the command reported it (see fileMetadata). */
  file?: FileMetadata;
}

export function parseEvidenceTrailer(stderr: string): EvidenceTrailer {
  let rc: number | null = null;
  let sha256: string | null = null;
  let bytes: number | null = null;
  let file: FileMetadata | undefined;
  const rest: string[] = [];
  for (const line of stderr.split('\n')) {
    const r = /^fb-rc=(\d+)$/.exec(line);
    const h = /^fb-sha256=([0-9a-f]{64})$/.exec(line);
    const n = /^fb-bytes=(\d+)$/.exec(line);
    const s = line.startsWith('fb-stat=') ? parseStat(line) : undefined;
    if (r) rc = Number(r[1]);
    else if (h) sha256 = h[1] as string;
    else if (n) bytes = Number(n[1]);
    else if (s && !file) file = s;
    else rest.push(line);
  }
  return { rc, sha256, bytes, stderr: rest.join('\n'), ...(file ? { file } : {}) };
}
