/**
 * When `ssh -G` need not run once per host. It costs a few milliseconds of CPU each (the ssh binary
 * and its libraries loading), a tenth of a 1,000-host run's controller CPU. If no ssh config file
 * ssh would read has anything that depends on the destination — no `Match`, no `Host` pattern but
 * `*`, no `%` token, no hostname canonicalization — then hosts whose ssh arguments are the same up to
 * the port resolve to the same settings but for `host`, `hostname` and `port`: one `ssh -G` answers
 * for all of them. Anything this scan does not understand (an unreadable file, a glob it cannot
 * expand, too deep an Include) counts as host-dependent: each host then gets its own `ssh -G`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** ssh's own limit on nested Include is 16. */
const MAX_INCLUDE_DEPTH = 16;

/** Does a config that ssh reads with these arguments say the same for every destination? */
export function configIsHostIndependent(args: readonly string[]): boolean {
  if (args.some((a) => a.includes('%'))) return false;
  const home = os.userInfo().homedir;
  const f = configFileArg(args);
  if (f === 'none') return true;
  try {
    if (f !== undefined) return independent(expandHome(f, home), home, path.dirname(expandHome(f, home)), 0);
    return (
      independent(path.join(home, '.ssh', 'config'), home, path.join(home, '.ssh'), 0) &&
      independent('/etc/ssh/ssh_config', home, '/etc/ssh', 0)
    );
  } catch {
    return false;
  }
}

/** The `-F` file, if the arguments name one (`-F file` or `-Ffile`). */
function configFileArg(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-F') return args[i + 1];
    if (a.startsWith('-F')) return a.slice(2);
  }
  return undefined;
}

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

/** One config file: true when nothing in it (or what it includes) depends on the destination. A missing file is empty. */
function independent(file: string, home: string, relativeTo: string, depth: number): boolean {
  if (depth > MAX_INCLUDE_DEPTH) return false;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.includes('%')) return false;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    const key = (m?.[1] ?? line).toLowerCase();
    const value = (m?.[2] ?? '').trim();
    if (key === 'match') return false;
    if (key === 'canonicalizehostname' && value.toLowerCase() !== 'no') return false;
    if (key === 'host' && value.split(/\s+/).some((p) => p !== '*')) return false;
    if (key === 'include') {
      for (const pattern of value.split(/\s+/).filter(Boolean)) {
        const full = path.isAbsolute(expandHome(pattern, home))
          ? expandHome(pattern, home)
          : path.join(relativeTo, pattern);
        const files = globLastPart(full);
        if (files === undefined) return false;
        for (const f of files) if (!independent(f, home, relativeTo, depth + 1)) return false;
      }
    }
  }
  return true;
}

/** The files a pattern names, sorted as glob(3) does; `*` and `?` only in its last part, else undefined. */
function globLastPart(pattern: string): string[] | undefined {
  const dir = path.dirname(pattern);
  const base = path.basename(pattern);
  if (/[*?[\]{}]/.test(dir) || /[[\]{}\\]/.test(base)) return undefined;
  if (!/[*?]/.test(base)) return [pattern];
  const re = new RegExp(
    `^${base
      .replace(/[.+^$()|]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  // glob(3) does not match a leading dot with a wildcard.
  return names
    .filter((n) => re.test(n) && !(n.startsWith('.') && !base.startsWith('.')))
    .sort()
    .map((n) => path.join(dir, n));
}

/** The first port the arguments give (`-o Port=N`, `-oPort=N`, `-p N`, `-pN`): ssh takes the first. */
export function firstPort(args: readonly string[]): { index: number; port: string } | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const next = args[i + 1];
    if (a === '-p' && next !== undefined) return { index: i + 1, port: next };
    if (/^-p\d/.test(a)) return { index: i, port: a.slice(2) };
    if (a === '-o' && next !== undefined && /^port\s*[= ]/i.test(next))
      return { index: i + 1, port: next.replace(/^port\s*[= ]\s*/i, '') };
    if (/^-oport\s*[= ]/i.test(a)) return { index: i, port: a.replace(/^-oport\s*[= ]\s*/i, '') };
  }
  return undefined;
}

/** A destination ssh prints back unchanged (no case folding, nothing to canonicalize). */
export function plainDestination(d: string): boolean {
  return /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(d) && d.length <= 253;
}
