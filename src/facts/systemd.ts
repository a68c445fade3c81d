/**
 * systemd persistence. Packages install units under /lib/systemd/system (/usr/lib/…); what an
 * administrator — or an attacker — adds lives in /etc/systemd/system, /usr/local/lib/systemd/system,
 * /run/systemd/system and the user unit dirs. The listing command prints every unit file and
 * drop-in there with its content, and every symlink as `==> link -> target <==` (no content).
 *
 * Findings (`persistence.systemd`): each unit file or drop-in outside the packaged dirs, and each
 * symlink to a unit outside them. Symlinks to packaged units (plain enablement) and to /dev/null
 * (masking) are not findings. A unit whose Exec lines download code or run from /tmp, /dev/shm or a
 * hidden path is high; an enabled one medium; one that nothing enables low.
 */
import type { Finding, FindingSeverity } from '../core/index.js';
import { defineFact } from './fact.js';
import { finding, sections, suspiciousCommand, unique } from './text.js';

export const SYSTEMD_DIRS = [
  '/etc/systemd/system',
  '/etc/systemd/user',
  '/usr/local/lib/systemd/system',
  '/run/systemd/system',
  '/root/.config/systemd/user',
  '/home/*/.config/systemd/user',
] as const;

const UNIT_NAMES = ['service', 'timer', 'socket', 'path', 'conf'].map((s) => `-name '*.${s}'`).join(' -o ');

/**
 * Unit files and drop-ins with content; symlinks as `==> path -> target <==`. POSIX find + sh;
 * `-xdev` keeps it off other filesystems, `2>/dev/null` hides the dirs a host does not have.
 */
const SYSTEMD_COMMAND =
  `find ${SYSTEMD_DIRS.join(' ')} -xdev \\( -type f -o -type l \\) \\( ${UNIT_NAMES} \\) -exec sh -c ` +
  `'for f; do if [ -L "$f" ]; then printf "==> %s -> %s <==\\n" "$f" "$(readlink "$f")"; else printf "==> %s <==\\n" "$f"; cat -- "$f"; echo; fi; done' sh {} + 2>/dev/null`;

export interface SystemdUnit {
  path: string;
  /** `evil.service`; for a drop-in, the unit it changes (`ssh.service`). */
  unit: string;
  type: 'unit' | 'drop-in' | 'link';
  /** Link target, for `link`. */
  target?: string;
  /** `ExecStart=`, `ExecStartPre=`, … values (for files). */
  exec: string[];
  /** `[Install] WantedBy=` values. */
  wantedBy: string[];
  description?: string;
  /** Where the unit is found (`system` or `user` units). */
  scope: 'system' | 'user';
}

const PACKAGED = /^(?:\/usr)?\/lib\/systemd\/(?:system|user)\//;

function unitName(path: string): { unit: string; dropIn: boolean } {
  const dropIn = /\/([^/]+)\.d\/[^/]+\.conf$/.exec(path);
  if (dropIn) return { unit: dropIn[1] as string, dropIn: true };
  return { unit: path.slice(path.lastIndexOf('/') + 1), dropIn: false };
}

export function parseSystemd(text: string): SystemdUnit[] {
  const out: SystemdUnit[] = [];
  for (const s of sections(text)) {
    const { unit, dropIn } = unitName(s.path);
    if (!dropIn && s.path.endsWith('.conf')) continue; // a stray .conf that is not a drop-in
    const scope = /\/(?:systemd\/user|\.config\/systemd\/user)\//.test(s.path) ? 'user' : 'system';
    if (s.target !== undefined) {
      out.push({ path: s.path, unit, type: 'link', target: s.target, exec: [], wantedBy: [], scope });
      continue;
    }
    const u: SystemdUnit = { path: s.path, unit, type: dropIn ? 'drop-in' : 'unit', exec: [], wantedBy: [], scope };
    for (const raw of s.lines) {
      const m = /^\s*([A-Za-z]+)\s*=\s*(.*?)\s*$/.exec(raw);
      if (!m) continue;
      const [key, value] = [m[1] as string, m[2] as string];
      if (/^Exec[A-Za-z]*$/.test(key) && value !== '')
        u.exec.push(value.replace(/^[-@+!:]+/, '')); // strip systemd's exec prefixes
      else if (key === 'WantedBy' || key === 'RequiredBy') u.wantedBy.push(...value.split(/\s+/).filter(Boolean));
      else if (key === 'Description') u.description = value;
    }
    out.push(u);
  }
  return out;
}

/** Resolve a link target relative to its directory (`../evil.service`). */
export function resolveTarget(path: string, target: string): string {
  if (target.startsWith('/')) return target;
  const parts = path.split('/').slice(0, -1);
  for (const p of target.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.') parts.push(p);
  }
  return parts.join('/');
}

export function systemdFindings(host: string, units: readonly SystemdUnit[]): Finding[] {
  const out: Finding[] = [];
  const links = units
    .filter((u) => u.type === 'link')
    .map((u) => ({ ...u, resolved: resolveTarget(u.path, u.target ?? '') }));
  for (const u of units) {
    if (u.type === 'link') continue;
    const enabledBy = links
      .filter((l) => l.resolved === u.path || (u.type === 'unit' && l.unit === u.unit && l.path.includes('.wants/')))
      .map((l) => l.path);
    const reasons = unique(u.exec.flatMap((e) => suspiciousCommand(e)));
    const severity: FindingSeverity = reasons.length
      ? 'high'
      : enabledBy.length || u.type === 'drop-in'
        ? 'medium'
        : 'low';
    const detail: Finding['detail'] = {
      path: u.path,
      unit: u.unit,
      type: u.type,
      scope: u.scope,
      exec: u.exec,
      enabledBy,
      wantedBy: u.wantedBy,
      reasons,
    };
    if (u.description) detail.description = u.description;
    const what = u.type === 'drop-in' ? `drop-in ${u.path} changes ${u.unit}` : `${u.scope} unit ${u.path}`;
    out.push(finding(host, 'persistence.systemd', severity, `${what}${u.exec[0] ? `: ${u.exec[0]}` : ''}`, detail));
  }
  for (const l of links) {
    if (PACKAGED.test(l.resolved) || l.resolved === '/dev/null') continue;
    if (units.some((u) => u.type !== 'link' && u.path === l.resolved)) continue; // reported with the unit itself
    const reasons = suspiciousCommand(l.resolved);
    const detail: Finding['detail'] = {
      path: l.path,
      unit: l.unit,
      type: 'link',
      scope: l.scope,
      target: l.target ?? '',
      reasons,
    };
    out.push(
      finding(
        host,
        'persistence.systemd',
        reasons.length ? 'high' : 'medium',
        `${l.path} links to ${l.target} (not a packaged unit)`,
        detail,
      ),
    );
  }
  return out;
}

export const systemdFact = defineFact({
  label: 'persistence/systemd',
  command: SYSTEMD_COMMAND,
  parse: parseSystemd,
  findings: systemdFindings,
});
