/**
 * The remote side of evidence collection: wrap a command so its stdout is the artifact byte for byte,
 * while the host hashes the very same bytes (tee into sha256sum) and reports the hash and the
 * command's exit code on stderr. Plain POSIX sh, no temp files on the host (it may be full or hostile).
 */

/**
 * `inner`'s stdout (plus its stderr when `mergeStderr`, as a responder reading `ps` wants) becomes the
 * artifact. stderr gets `fb-rc=N` and `fb-sha256=HEX` lines.
 */
export function wrapEvidence(inner: string, mergeStderr: boolean): string {
  const errs = mergeStderr ? '2>&1' : '2>&4';
  // `( … )`: an `exit` in the command ends only its subshell, so the exit code is still reported.
  // The trailing `| cat` makes fd 3 a pipe: tee cannot reopen /dev/fd/3 when stdout is a socket.
  return `{ { ( ${inner}\n ); echo "fb-rc=$?" >&4; } ${errs} | tee /dev/fd/3 | sha256sum | { read -r h _; echo "fb-sha256=$h" >&4; }; } 3>&1 4>&2 | cat`;
}

export interface EvidenceTrailer {
  /** Exit code of the wrapped command; null when the host never reported one (killed, odd shell). */
  rc: number | null;
  /** SHA-256 the host computed, or null. */
  sha256: string | null;
  /** stderr without our marker lines. */
  stderr: string;
}

export function parseEvidenceTrailer(stderr: string): EvidenceTrailer {
  let rc: number | null = null;
  let sha256: string | null = null;
  const rest: string[] = [];
  for (const line of stderr.split('\n')) {
    const r = /^fb-rc=(\d+)$/.exec(line);
    const h = /^fb-sha256=([0-9a-f]{64})$/.exec(line);
    if (r) rc = Number(r[1]);
    else if (h) sha256 = h[1] as string;
    else rest.push(line);
  }
  return { rc, sha256, stderr: rest.join('\n') };
}
