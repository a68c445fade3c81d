/**
 * Cron persistence: every crontab entry of the system crontab, `/etc/cron.d`, the user spools
 * (Debian `/var/spool/cron/crontabs/USER`, RHEL `/var/spool/cron/USER`) and the scripts in
 * `/etc/cron.{hourly,daily,weekly,monthly}`. An entry that downloads and runs code, or runs from
 * /tmp, /dev/shm or a hidden path, is high severity; everything else is listed as info.
 */
import type { Finding } from '../core/index.js';
import { defineFact } from './fact.js';
import { catWithHeaders, finding, sections, suspiciousCommand } from './text.js';

export const CRON_PATHS = [
  '/etc/crontab',
  '/etc/cron.d/*',
  '/var/spool/cron/crontabs/*',
  '/var/spool/cron/*',
  '/etc/cron.hourly/*',
  '/etc/cron.daily/*',
  '/etc/cron.weekly/*',
  '/etc/cron.monthly/*',
  '/etc/anacrontab',
] as const;

/** Every crontab and cron script, each after a `==> path <==` header. */
const CRON_COMMAND = catWithHeaders(CRON_PATHS);

export interface CronEntry {
  /** The file it is in. */
  file: string;
  /** 1-based line in that file. */
  line: number;
  /** `*\/5 * * * *`, `@reboot`; for a cron.daily script: `daily`. */
  schedule: string;
  /** The account it runs as (field 6 of system crontabs, the spool file's name for user crontabs). */
  user?: string;
  command: string;
  /** `crontab` entry or a line of a `cron.<period>` `script`. */
  source: 'crontab' | 'script';
}

const NICKNAME = /^(@(?:reboot|yearly|annually|monthly|weekly|daily|midnight|hourly))\s+(.*)$/;
const FIVE_FIELDS = /^(\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s+(.*)$/;
const ENV = /^[A-Za-z_][A-Za-z0-9_]*\s*=/;
const SCRIPT_DIR = /^\/etc\/cron\.(hourly|daily|weekly|monthly)\//;
/** A minute field: a number, a range, a step, a list or `*`. Anything else is not a schedule. */
const MINUTE = /^(?:\*|\d+(?:-\d+)?)(?:\/\d+)?(?:,(?:\*|\d+(?:-\d+)?)(?:\/\d+)?)*$/;

/** System crontabs (`/etc/crontab`, `/etc/cron.d/*`, anacrontab-free) name the user in field 6. */
function isSystemCrontab(path: string): boolean {
  return path === '/etc/crontab' || path.startsWith('/etc/cron.d/');
}

function parseCrontabLine(
  file: string,
  n: number,
  text: string,
  system: boolean,
  spoolUser: string | undefined,
): CronEntry | undefined {
  const nick = NICKNAME.exec(text);
  let schedule: string;
  let rest: string;
  if (nick) {
    schedule = nick[1] as string;
    rest = nick[2] as string;
  } else {
    const m = FIVE_FIELDS.exec(text);
    if (!m || !MINUTE.test((m[1] as string).split(/\s+/)[0] as string)) return undefined;
    schedule = (m[1] as string).replace(/\s+/g, ' ');
    rest = m[2] as string;
  }
  let user = spoolUser;
  if (system) {
    const u = /^(\S+)\s+(.*)$/.exec(rest);
    if (!u) return undefined;
    user = u[1] as string;
    rest = u[2] as string;
  }
  const entry: CronEntry = { file, line: n, schedule, command: rest.trim(), source: 'crontab' };
  if (user) entry.user = user;
  return entry;
}

export function parseCron(text: string): CronEntry[] {
  const out: CronEntry[] = [];
  for (const s of sections(text)) {
    const script = SCRIPT_DIR.exec(s.path);
    const system = isSystemCrontab(s.path);
    const spoolUser = /^\/var\/spool\/cron\/(?:crontabs\/)?([^/]+)$/.exec(s.path)?.[1];
    if (s.path === '/etc/anacrontab') continue; // anacron runs the cron.<period> dirs, which are listed on their own
    s.lines.forEach((raw, i) => {
      const text = raw.trim();
      if (text === '' || text.startsWith('#')) return;
      if (script) {
        out.push({
          file: s.path,
          line: i + 1,
          schedule: script[1] as string,
          user: 'root',
          command: text,
          source: 'script',
        });
        return;
      }
      if (ENV.test(text)) return;
      const entry = parseCrontabLine(s.path, i + 1, text, system, spoolUser);
      if (entry) out.push(entry);
    });
  }
  return out;
}

/**
 * One finding per crontab entry; for cron.<period> scripts, one per script, raised to high by its
 * worst line (scripts are long and their ordinary lines say nothing).
 */
export function cronFindings(host: string, entries: readonly CronEntry[]): Finding[] {
  const out: Finding[] = [];
  const scripts = new Map<string, { entry: CronEntry; reasons: string[]; line?: CronEntry }>();
  for (const e of entries) {
    const reasons = suspiciousCommand(e.command);
    if (e.source === 'script') {
      const s = scripts.get(e.file) ?? { entry: e, reasons: [] };
      if (reasons.length && !s.line) Object.assign(s, { reasons, line: e });
      scripts.set(e.file, s);
      continue;
    }
    const detail: Finding['detail'] = { file: e.file, line: e.line, schedule: e.schedule, command: e.command, reasons };
    if (e.user) detail.user = e.user;
    const who = e.user ? ` as ${e.user}` : '';
    out.push(
      finding(
        host,
        'persistence.cron',
        reasons.length ? 'high' : 'info',
        `cron ${e.schedule}${who}: ${e.command}`,
        detail,
      ),
    );
  }
  for (const [file, s] of scripts) {
    const shown = s.line ?? s.entry;
    const detail: Finding['detail'] = {
      file,
      line: shown.line,
      schedule: s.entry.schedule,
      command: shown.command,
      reasons: s.reasons,
      user: 'root',
    };
    const summary = s.line
      ? `cron.${s.entry.schedule} script ${file}: ${s.line.command}`
      : `cron.${s.entry.schedule} script ${file}`;
    out.push(finding(host, 'persistence.cron', s.reasons.length ? 'high' : 'info', summary, detail));
  }
  return out;
}

export const cronFact = defineFact({
  label: 'persistence/crontabs',
  command: CRON_COMMAND,
  parse: parseCron,
  findings: cronFindings,
});
