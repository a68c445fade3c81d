/**
 * `/etc/ld.so.preload`: libraries the dynamic linker loads into every program. Userland rootkits
 * (libprocesshider, Azazel, Jynx) live here to hide processes and files from `ps` and `ls`; a
 * stock system has no such file. Every entry is a `persistence.preload` finding, high severity.
 */
import type { Finding } from '../core/index.js';
import { defineFact } from './fact.js';
import { finding, hasHiddenComponent, inScratchDir, lines } from './text.js';

export interface PreloadEntry {
  line: number;
  library: string;
}

/** Entries are separated by white space (and, for glibc, colons); `#` starts a comment. */
export function parsePreload(text: string): PreloadEntry[] {
  const out: PreloadEntry[] = [];
  lines(text).forEach((raw, i) => {
    const body = raw.replace(/#.*/, '');
    if (/^\s*(?:ERROR: ld\.so:|cat: )/.test(raw)) return; // stderr of a broken preload merged into the output
    for (const library of body.split(/[\s:]+/).filter(Boolean)) out.push({ line: i + 1, library });
  });
  return out;
}

export function preloadFindings(host: string, entries: readonly PreloadEntry[]): Finding[] {
  return entries.map((e) => {
    const where = inScratchDir(e.library) ? 'a scratch dir' : hasHiddenComponent(e.library) ? 'a hidden path' : '';
    const summary = `/etc/ld.so.preload loads ${e.library} into every program${where ? ` (from ${where})` : ''}`;
    return finding(host, 'persistence.preload', where ? 'critical' : 'high', summary, {
      file: '/etc/ld.so.preload',
      line: e.line,
      library: e.library,
    });
  });
}

/** The file's content; nothing (and exit 0) when it does not exist. `collect` and `rootkit_scan` both run it. */
export const preloadFact = defineFact({
  label: 'persistence/ld.so.preload',
  command: 'cat /etc/ld.so.preload 2>/dev/null; true',
  parse: parsePreload,
  findings: preloadFindings,
});
