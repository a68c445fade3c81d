/**
 * The few OpenSSH options we honour from `ansible_ssh_common_args` (pure parsing, no I/O):
 * `-o ProxyJump=…` / `-J …`, `-o StrictHostKeyChecking=…`, `-o UserKnownHostsFile=…`.
 * Everything else is ignored on purpose: we are not ssh(1), and guessing would be worse.
 */
import { shlexSplit } from '../inventory/shlex.js';

/** One hop of a jump chain. */
export interface JumpHop {
  user?: string;
  host: string;
  port: number;
}

export interface CommonArgs {
  /** Jump hosts, outermost first. Empty array for `ProxyJump=none`. */
  proxyJump?: string[];
  strictHostKeyChecking?: string;
  userKnownHostsFile?: string;
}

export function parseSshCommonArgs(text: string | undefined): CommonArgs {
  const out: CommonArgs = {};
  if (!text) return out;
  let words: string[];
  try {
    words = shlexSplit(text);
  } catch {
    return out; // connectionSpec has already refused such arguments, naming the host
  }
  const options: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '-o' && i + 1 < words.length) options.push(words[++i] as string);
    else if (w.startsWith('-o') && w.length > 2) options.push(w.slice(2));
    else if (w === '-J' && i + 1 < words.length) options.push(`ProxyJump=${words[++i]}`);
    else if (w.startsWith('-J') && w.length > 2) options.push(`ProxyJump=${w.slice(2)}`);
  }
  for (const opt of options) {
    const m = /^\s*([A-Za-z]+)\s*(?:=|\s)\s*(.*?)\s*$/.exec(opt);
    if (!m) continue;
    const key = (m[1] as string).toLowerCase();
    const value = m[2] as string;
    if (key === 'proxyjump') out.proxyJump = value.toLowerCase() === 'none' ? [] : value.split(',').filter(Boolean);
    else if (key === 'stricthostkeychecking') out.strictHostKeyChecking = value.toLowerCase();
    else if (key === 'userknownhostsfile') out.userKnownHostsFile = value.split(/\s+/)[0];
  }
  return out;
}

/** Parse `[user@]host[:port]`, `[user@][v6addr]:port` or `ssh://[user@]host[:port]`. */
export function parseJumpHop(text: string): JumpHop {
  let rest = text.trim().replace(/^ssh:\/\//, '');
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let host = rest;
  let port = 22;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) {
    host = v6[1] as string;
    if (v6[2]) port = Number(v6[2]);
  } else {
    const m = /^([^:]+):(\d+)$/.exec(rest);
    if (m) {
      host = m[1] as string;
      port = Number(m[2]);
    }
  }
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid jump host "${text}"`);
  return { ...(user ? { user } : {}), host, port };
}
