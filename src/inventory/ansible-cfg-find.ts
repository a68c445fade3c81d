/**
 * Which ansible.cfg Ansible would read (ansible/config/manager.py `find_ini_config_file`): the first
 * that exists and is readable of `$ANSIBLE_CONFIG` (a file, or a directory holding ansible.cfg),
 * `./ansible.cfg`, `~/.ansible.cfg`, `/etc/ansible/ansible.cfg`. A `./ansible.cfg` in a world-writable
 * working directory is skipped with a warning: anyone could have put it there. Only the one file found
 * is read, never a merge. Every location is injectable, so tests never touch the real home or /etc.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** Where to look and what the environment says; `fromProcess()` gives the real ones. */
export interface CfgLocations {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** For `~/.ansible.cfg` and `~` in paths (Python's expanduser takes `$HOME` first, as here). */
  home: string;
  /** The system-wide file, `/etc/ansible/ansible.cfg`. */
  etcFile: string;
}

export function locationsFromProcess(): CfgLocations {
  return {
    env: process.env,
    cwd: process.cwd(),
    home: process.env.HOME || homedir(),
    etcFile: '/etc/ansible/ansible.cfg',
  };
}

export interface FoundCfg {
  /** The file Ansible would read; none when no candidate exists. */
  file?: string;
  warnings: string[];
}

/** Python's os.path.expandvars: `$NAME` and `${NAME}` from env; unknown names stay as written. */
function expandVars(p: string, env: CfgLocations['env']): string {
  return p.replace(/\$(\w+)|\$\{([^}]*)\}/g, (all, bare: string | undefined, braced: string | undefined) => {
    const v = env[(bare ?? braced) as string];
    return v === undefined ? all : v;
  });
}

/**
 * Ansible's `unfrackpath(p, follow=False, basedir)`: variables and `~` expanded, made absolute against
 * `basedir` (the cwd by default), normalised. `~user` is left as written.
 */
export function resolveAnsiblePath(p: string, loc: CfgLocations, basedir = loc.cwd): string {
  let out = expandVars(p.replaceAll('{{CWD}}', loc.cwd), loc.env);
  if (out === '~' || out.startsWith('~/')) out = loc.home + out.slice(1);
  return path.resolve(basedir, out);
}

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

export function findAnsibleCfg(loc: CfgLocations): FoundCfg {
  const candidates: string[] = [];
  let fromEnv: string | undefined;
  const envValue = loc.env.ANSIBLE_CONFIG;
  if (envValue !== undefined) {
    fromEnv = resolveAnsiblePath(envValue, loc);
    if (isDirectory(fromEnv)) fromEnv = path.join(fromEnv, 'ansible.cfg');
    candidates.push(fromEnv);
  }
  const cwdCfg = path.join(loc.cwd, 'ansible.cfg');
  let skippedCwd = false;
  try {
    if (statSync(loc.cwd).mode & 0o002) skippedCwd = existsSync(cwdCfg);
    else candidates.push(cwdCfg);
  } catch {
    // An unreadable cwd is no config source, as in Ansible.
  }
  candidates.push(path.join(loc.home, '.ansible.cfg'), loc.etcFile);
  const file = candidates.find((f) => existsSync(f) && readable(f));
  const warnings =
    skippedCwd && file !== fromEnv
      ? [
          `${cwdCfg} is ignored: the directory ${loc.cwd} is world-writable, so anyone could have put it there (as Ansible does; ANSIBLE_CONFIG=${cwdCfg} reads it anyway)`,
        ]
      : [];
  return { ...(file ? { file } : {}), warnings };
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
