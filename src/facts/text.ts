/**
 * Small text helpers shared by the fact parsers: splitting output into lines, reading the
 * `==> path <==` sections that `tail -n +1 a b` (and our collect commands) print, and building
 * findings. Parsers never throw on odd input: whatever does not match is skipped.
 */
import type { Finding, FindingKind, FindingSeverity } from '../core/index.js';
import { severityRank } from '../core/index.js';

/** Lines of a command's output; `\r` stripped (outputs may come through a pty), never throws. */
export function lines(text: unknown): string[] {
  if (typeof text !== 'string' || text === '') return [];
  return text.replace(/\r/g, '').split('\n');
}

/** One file of a `==> path <==` listing; `target` is set when the header reads `==> path -> target <==`. */
export interface Section {
  path: string;
  target?: string;
  lines: string[];
}

const HEADER = /^==> (.*) <==$/;

/**
 * Split a `==> path <==` listing into files. Text before the first header is dropped (it has no
 * file). A header `==> a -> b <==` describes a symlink `a` pointing at `b` (our listing commands
 * print symlinks that way, without content).
 */
export function sections(text: unknown): Section[] {
  const out: Section[] = [];
  for (const line of lines(text)) {
    const m = HEADER.exec(line);
    if (m) {
      const name = m[1] as string;
      const arrow = name.indexOf(' -> ');
      out.push(
        arrow > 0
          ? { path: name.slice(0, arrow), target: name.slice(arrow + 4), lines: [] }
          : { path: name, lines: [] },
      );
      continue;
    }
    out.at(-1)?.lines.push(line);
  }
  return out;
}

/**
 * A shell loop printing `==> path <==` and then the file, for every regular file among `globs`
 * (fixed shell globs, never user input: they are deliberately unquoted so that they expand).
 */
export function catWithHeaders(globs: readonly string[]): string {
  return `for f in ${globs.join(' ')}; do [ -f "$f" ] || continue; printf '==> %s <==\\n' "$f"; cat -- "$f"; echo; done 2>/dev/null`;
}

/** The most severe of the given severities (`info` for none). */
export function maxSeverity(...levels: FindingSeverity[]): FindingSeverity {
  return levels.reduce<FindingSeverity>((a, b) => (severityRank(b) > severityRank(a) ? b : a), 'info');
}

/** A finding without evidence reference: the step that collected the text adds it. */
export function finding(
  host: string,
  kind: FindingKind,
  severity: FindingSeverity,
  summary: string,
  detail: Finding['detail'],
): Finding {
  return { host, kind, severity, summary, detail };
}

/** `a, b, c, … (+4)`: a short list for one-line summaries. */
export function shortList(items: readonly string[], max = 3): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')}, … (+${items.length - max})`;
}

/** Unique values in first-seen order. */
export function unique<T>(items: Iterable<T>): T[] {
  return [...new Set(items)];
}

/** Paths where binaries should never run from: world-writable scratch space. */
const SCRATCH = /^(?:\/tmp|\/var\/tmp|\/dev\/shm|\/run\/shm|\/dev\/mqueue)(?:\/|$)/;

/** Is this absolute path inside /tmp, /var/tmp or /dev/shm (and friends)? */
export function inScratchDir(path: string): boolean {
  return SCRATCH.test(path);
}

/** A path component starting with a dot (`/var/tmp/.../x`, `/root/.x/miner`), the classic hiding place. */
export function hasHiddenComponent(path: string): boolean {
  return /\/\.[^/]/.test(path);
}

/**
 * A shell command line that downloads and runs, or runs from a scratch dir: the traits of a
 * dropper (`curl … | sh`, `wget -O- … | bash`, `/tmp/x`, `base64 -d | sh`).
 */
export function suspiciousCommand(command: string): string[] {
  const reasons: string[] = [];
  if (/\b(?:curl|wget|fetch|lwp-download)\b[^|;&]*\|\s*(?:ba|da|z|k)?sh\b/.test(command))
    reasons.push('downloads and pipes to a shell');
  else if (/\b(?:curl|wget)\b/.test(command)) reasons.push('downloads with curl/wget');
  if (/base64\s+(?:-d|--decode)/.test(command)) reasons.push('decodes base64');
  if (/\/dev\/tcp\/|\bnc\b.*\s-e\s|\bncat\b.*\s-e\s/.test(command)) reasons.push('opens a reverse shell');
  for (const word of command.split(/[\s;&|()<>'"=`]+/)) {
    if (!word.startsWith('/')) continue;
    if (inScratchDir(word)) reasons.push(`runs from ${word}`);
    else if (hasHiddenComponent(word)) reasons.push(`uses hidden path ${word}`);
  }
  return unique(reasons);
}
