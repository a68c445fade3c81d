/**
 * Accounts: `/etc/passwd`, `/etc/group` and sudoers. Findings: UID 0 accounts other than root
 * (`account.uid0`, critical — the classic backdoor `toor:x:0:0`), and every account that can
 * become root with sudo (`account.sudo`), through the sudo/wheel/admin groups or a sudoers rule.
 * Only the responder can tell a new sudo user from an old one; the finding lists how each got it.
 */
import type { Finding, FindingSeverity } from '../core/index.js';
import { defineFact } from './fact.js';
import { catWithHeaders, finding, lines, sections, unique } from './text.js';

/** passwd, group and sudoers, each after a `==> path <==` header (no /etc/shadow: it holds secrets). */
const ACCOUNTS_COMMAND = catWithHeaders(['/etc/passwd', '/etc/group', '/etc/sudoers', '/etc/sudoers.d/*']);

export interface PasswdEntry {
  user: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
  /** The password field is empty: a login without any password where PAM allows it. */
  emptyPassword: boolean;
}

export interface GroupEntry {
  group: string;
  gid: number;
  members: string[];
}

export interface SudoRule {
  file: string;
  line: number;
  /** Who the rule is for, as written: `alice`, `%sudo`, `#1001`, `ADMINS`, `ALL`. */
  who: string[];
  /** `(ALL:ALL)`; empty when not given (root). */
  runas: string;
  commands: string;
  nopasswd: boolean;
  text: string;
}

export interface Sudoers {
  rules: SudoRule[];
  /** `User_Alias NAME = members`. */
  userAliases: Record<string, string[]>;
}

export interface Accounts {
  passwd: PasswdEntry[];
  groups: GroupEntry[];
  sudoers: Sudoers;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of lines(text)) {
    const f = line.split(':');
    if (f.length < 7 || !/^\d+$/.test(f[2] as string) || !/^\d+$/.test(f[3] as string) || (f[0] as string) === '')
      continue;
    out.push({
      user: f[0] as string,
      uid: Number(f[2]),
      gid: Number(f[3]),
      gecos: f[4] as string,
      home: f[5] as string,
      shell: f.slice(6).join(':'),
      emptyPassword: f[1] === '',
    });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of lines(text)) {
    const f = line.split(':');
    if (f.length < 4 || !/^\d+$/.test(f[2] as string) || (f[0] as string) === '') continue;
    out.push({
      group: f[0] as string,
      gid: Number(f[2]),
      members: (f[3] as string)
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    });
  }
  return out;
}

const SPEC = /^([^\s,=]+(?:\s*,\s*[^\s,=]+)*)\s+([^\s,=]+(?:\s*,\s*[^\s,=]+)*)\s*=\s*(.*)$/;
const ALIAS_KINDS = /^(?:User_Alias|Runas_Alias|Host_Alias|Cmnd_Alias|Cmd_Alias)\s+(.*)$/;

/** Logical lines (backslash continuations joined) with their first physical line number. */
function logicalLines(text: string): Array<{ n: number; text: string }> {
  const out: Array<{ n: number; text: string }> = [];
  let buf = '';
  let start = 0;
  lines(text).forEach((raw, i) => {
    if (buf === '') start = i + 1;
    const part = buf === '' ? raw : raw.trimStart();
    if (part.endsWith('\\')) {
      buf += part.slice(0, -1).trimEnd() + ' ';
      return;
    }
    out.push({ n: start, text: (buf + part).trim() });
    buf = '';
  });
  if (buf) out.push({ n: start, text: buf.trim() });
  return out;
}

/** Parse one sudoers file (or several concatenated); `file` names it in the rules. */
export function parseSudoers(
  text: string,
  file = '/etc/sudoers',
  into: Sudoers = { rules: [], userAliases: {} },
): Sudoers {
  for (const { n, text: line } of logicalLines(text)) {
    // `#1001 ALL=…` is a rule for UID 1001; any other `#…` is a comment or an #include directive.
    if (
      line === '' ||
      (line.startsWith('#') && !/^#\d+\s/.test(line)) ||
      line.startsWith('@') ||
      /^Defaults\b/.test(line)
    )
      continue;
    const alias = ALIAS_KINDS.exec(line);
    if (alias) {
      if (!line.startsWith('User_Alias')) continue;
      for (const def of (alias[1] as string).split(':')) {
        const m = /^\s*([A-Z][A-Z0-9_]*)\s*=\s*(.*)$/.exec(def);
        if (m)
          into.userAliases[m[1] as string] = (m[2] as string)
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
      }
      continue;
    }
    const m = SPEC.exec(line);
    if (!m) continue;
    const rest = m[3] as string;
    const runas = /^\s*(\([^)]*\))/.exec(rest)?.[1] ?? '';
    const afterRunas = rest.slice(rest.indexOf(runas) + runas.length);
    const commands = afterRunas.replace(/^(?:\s*[A-Z_]+:)+/, '').trim();
    into.rules.push({
      file,
      line: n,
      who: (m[1] as string).split(',').map((s) => s.trim()),
      runas,
      commands,
      nopasswd: /\bNOPASSWD:/.test(afterRunas),
      text: line,
    });
  }
  return into;
}

/** The `ACCOUNTS_COMMAND` listing: passwd, group and every sudoers file. */
export function parseAccounts(text: string): Accounts {
  const result: Accounts = { passwd: [], groups: [], sudoers: { rules: [], userAliases: {} } };
  for (const s of sections(text)) {
    const body = s.lines.join('\n');
    if (s.path === '/etc/passwd') result.passwd.push(...parsePasswd(body));
    else if (s.path === '/etc/group') result.groups.push(...parseGroup(body));
    else if (s.path === '/etc/sudoers' || s.path.startsWith('/etc/sudoers.d/'))
      parseSudoers(body, s.path, result.sudoers);
  }
  return result;
}

/** Groups whose members may use sudo on stock Debian/Ubuntu (sudo, admin) and RHEL (wheel). */
export const ADMIN_GROUPS = ['sudo', 'wheel', 'admin'] as const;

/** Users named by a sudoers `who` entry, with User_Alias, %group, %#gid and #uid expanded. */
function expandWho(token: string, a: Accounts, depth = 0): string[] {
  if (token.startsWith('!') || depth > 8) return [];
  if (token === 'ALL') return ['ALL'];
  if (token.startsWith('%')) {
    const name = token.replace(/^%:?/, '');
    const g = name.startsWith('#')
      ? a.groups.find((x) => x.gid === Number(name.slice(1)))
      : a.groups.find((x) => x.group === name);
    if (!g) return [];
    return unique([...g.members, ...a.passwd.filter((p) => p.gid === g.gid).map((p) => p.user)]);
  }
  if (token.startsWith('#')) return a.passwd.filter((p) => p.uid === Number(token.slice(1))).map((p) => p.user);
  const alias = a.sudoers.userAliases[token];
  if (alias) return unique(alias.flatMap((t) => expandWho(t, a, depth + 1)));
  return [token];
}

/** For each user who can sudo: how (`group sudo`, `/etc/sudoers.d/90-deploy:1 NOPASSWD`). */
export function sudoUsers(a: Accounts): Map<string, { via: string[]; nopasswd: boolean; everyone: boolean }> {
  const users = new Map<string, { via: string[]; nopasswd: boolean; everyone: boolean }>();
  const add = (user: string, via: string, nopasswd: boolean, everyone = false): void => {
    const u = users.get(user) ?? { via: [], nopasswd: false, everyone: false };
    u.via.push(via);
    u.nopasswd ||= nopasswd;
    u.everyone ||= everyone;
    users.set(user, u);
  };
  for (const name of ADMIN_GROUPS) {
    for (const user of expandWho(`%${name}`, a)) add(user, `group ${name}`, false);
  }
  for (const r of a.sudoers.rules) {
    const where = `${r.file}:${r.line}${r.nopasswd ? ' NOPASSWD' : ''}`;
    for (const token of r.who) {
      for (const user of expandWho(token, a)) add(user, `${where} (${token})`, r.nopasswd, user === 'ALL');
    }
  }
  users.delete('root');
  return users;
}

export function accountFindings(host: string, a: Accounts): Finding[] {
  const out: Finding[] = [];
  for (const p of a.passwd) {
    if (p.uid !== 0 || p.user === 'root') continue;
    const summary = `UID 0 account ${p.user} (shell ${p.shell || 'none'}${p.emptyPassword ? ', empty password field' : ''})`;
    out.push(
      finding(host, 'account.uid0', 'critical', summary, {
        user: p.user,
        uid: p.uid,
        gid: p.gid,
        home: p.home,
        shell: p.shell,
        emptyPassword: p.emptyPassword,
      }),
    );
  }
  for (const [user, u] of sudoUsers(a)) {
    const severity: FindingSeverity = u.everyone ? 'high' : u.nopasswd ? 'medium' : 'low';
    const who = u.everyone ? 'every user' : user;
    const summary = `${who} can sudo${u.nopasswd ? ' without a password' : ''} (${unique(u.via).join('; ')})`;
    const exists = user === 'ALL' || a.passwd.some((p) => p.user === user);
    out.push(
      finding(host, 'account.sudo', severity, summary, {
        user,
        via: unique(u.via),
        nopasswd: u.nopasswd,
        accountExists: exists,
      }),
    );
  }
  return out;
}

/** `/etc/passwd` as is: who owns which home (authorized_keys reads it). */
export const passwdFact = defineFact({ label: 'users/passwd', file: '/etc/passwd', parse: parsePasswd });

export const accountsFact = defineFact({
  label: 'users/accounts',
  command: ACCOUNTS_COMMAND,
  parse: parseAccounts,
  findings: accountFindings,
});
