/**
 * Configuration that makes the system run a program, read line by line (package verification only
 * says a digest changed; this says what the file now does and what it points to):
 *
 * - PAM stacks (`persistence/pam`): `pam_exec.so` runs a program at every login (with
 *   `expose_authtok` it is handed the password); `pam_permit.so` as `sufficient` lets anyone in;
 *   a module loaded by an absolute path outside the system's module directories is foreign code.
 * - login-time hooks (`persistence/rc`: profile, profile.d, shell rc files of every home): a line
 *   that downloads and runs, decodes base64, opens a reverse shell, runs from a scratch dir or puts
 *   one on PATH.
 * - package-manager hooks (`persistence/package-hooks`: apt's `…::Pre-Invoke`/`Post-Invoke` and
 *   `Pre-Install-Pkgs`, dpkg's `pre-invoke`/`post-invoke`): the same traits in the command.
 */
import type { Finding } from '../core/index.js';
import { finding, hasHiddenComponent, inScratchDir, sections, suspiciousCommand } from './text.js';

export interface PamRule {
  file: string;
  line: number;
  /** auth, account, password, session (a leading `-` removed). */
  type: string;
  /** `required`, `sufficient`, `[success=1 default=ignore]`… */
  control: string;
  module: string;
  args: string[];
}

const PAM_LINE = /^-?(auth|account|password|session)\s+(\[[^\]]*\]|\S+)\s+(\S+)\s*(.*)$/;

export function parsePam(text: string): PamRule[] {
  const out: PamRule[] = [];
  for (const s of sections(text)) {
    if (!s.path.startsWith('/')) continue; // the modules' digest list
    s.lines.forEach((raw, i) => {
      const m = PAM_LINE.exec(raw.trim());
      if (!m) return;
      out.push({
        file: s.path,
        line: i + 1,
        type: m[1] as string,
        control: m[2] as string,
        module: m[3] as string,
        args: (m[4] as string).split(/\s+/).filter(Boolean),
      });
    });
  }
  return out;
}

/** Where PAM modules live: a module named by a path elsewhere is not the system's. */
const MODULE_DIRS = /^\/(?:usr\/)?lib(?:64)?\/(?:[^/]+\/)?security\/[^/]+\.so$/;

export function pamFindings(host: string, rules: readonly PamRule[]): Finding[] {
  const out: Finding[] = [];
  for (const r of rules) {
    const at = `${r.file}:${r.line}`;
    const detail = { file: r.file, line: r.line, type: r.type, control: r.control, module: r.module, args: r.args };
    const name = r.module.slice(r.module.lastIndexOf('/') + 1);
    if (name === 'pam_exec.so') {
      const program = r.args.find((a) => a.startsWith('/')) ?? '(no program)';
      const steals = r.args.includes('expose_authtok');
      const odd = program.startsWith('/') && (inScratchDir(program) || hasHiddenComponent(program));
      out.push(
        finding(
          host,
          'persistence.pam',
          steals || odd ? 'high' : 'medium',
          `${at}: ${r.type} runs ${program} at every login${steals ? ', handing it the password (expose_authtok)' : ''}`,
          { ...detail, program },
        ),
      );
    } else if (name === 'pam_permit.so' && r.control === 'sufficient' && (r.type === 'auth' || r.type === 'account'))
      out.push(
        finding(
          host,
          'persistence.pam',
          'critical',
          `${at}: ${r.type} sufficient pam_permit.so lets anyone in`,
          detail,
        ),
      );
    else if (r.module.startsWith('/') && !MODULE_DIRS.test(r.module))
      out.push(
        finding(
          host,
          'persistence.pam',
          'high',
          `${at}: ${r.type} loads ${r.module}, outside the module directories`,
          detail,
        ),
      );
  }
  return out;
}

export interface HookLine {
  file: string;
  line: number;
  text: string;
  /** For package-manager hooks: `DPkg::Post-Invoke`, `post-invoke`. */
  hook?: string;
}

/** Lines of shell startup files, comments and blank lines left out. */
export function parseShellHooks(text: string): HookLine[] {
  return sections(text).flatMap((s) =>
    s.lines.flatMap((raw, i) => {
      const t = raw.trim();
      return t === '' || t.startsWith('#') ? [] : [{ file: s.path, line: i + 1, text: t }];
    }),
  );
}

const APT_HOOK = /([A-Za-z]+(?:::[A-Za-z-]+)*::(?:Pre-Invoke|Post-Invoke(?:-Success)?|Pre-Install-Pkgs))\s*(\{|")/;
const DPKG_HOOK = /^\s*(pre-invoke|post-invoke)\s*=\s*(.+)$/;

/** The commands of apt and dpkg hooks: each quoted string in an `…Invoke` block, each dpkg `*-invoke=` line. */
export function parsePackageHooks(text: string): HookLine[] {
  const out: HookLine[] = [];
  for (const s of sections(text)) {
    let hook: string | undefined;
    s.lines.forEach((raw, i) => {
      const dpkg = DPKG_HOOK.exec(raw);
      if (dpkg) {
        out.push({ file: s.path, line: i + 1, hook: dpkg[1] as string, text: (dpkg[2] as string).trim() });
        return;
      }
      const start = APT_HOOK.exec(raw);
      if (start) hook = start[1];
      if (!hook) return;
      const from = start ? (start.index ?? 0) + (start[1] as string).length : 0;
      for (const m of raw.slice(from).matchAll(/"((?:[^"\\]|\\.)*)"/g))
        out.push({ file: s.path, line: i + 1, hook, text: m[1] as string });
      if (raw.includes('}') || (start && start[2] === '"')) hook = undefined;
    });
  }
  return out;
}

/** `PATH=…` entries in a scratch dir or a hidden absolute dir: every later command name can be hijacked. */
function pathHijack(text: string): string[] {
  const value = /\bPATH=["']?([^"'\s;]*)/.exec(text)?.[1] ?? '';
  return value
    .split(':')
    .filter((d) => d.startsWith('/') && (inScratchDir(d) || hasHiddenComponent(d)))
    .map((d) => `puts ${d} on PATH`);
}

/** A hook line with a dropper's traits: high, except a bare mention of curl/wget (medium). */
export function hookFindings(host: string, hooks: readonly HookLine[], what: string): Finding[] {
  return hooks.flatMap((h) => {
    const reasons = [...suspiciousCommand(h.text), ...pathHijack(h.text)];
    if (reasons.length === 0) return [];
    const severity = reasons.every((r) => r === 'downloads with curl/wget') ? 'medium' : 'high';
    const via = h.hook ? ` (${h.hook})` : '';
    const detail: Finding['detail'] = { file: h.file, line: h.line, command: h.text, reasons };
    if (h.hook) detail.hook = h.hook;
    return [
      finding(
        host,
        'persistence.hook',
        severity,
        `${what} ${h.file}:${h.line}${via} ${reasons.join('; ')}: ${h.text}`,
        detail,
      ),
    ];
  });
}
