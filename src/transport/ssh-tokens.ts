/**
 * OpenSSH's `%` tokens (ssh_config(5) "TOKENS") and `~`/`${VAR}` for the settings `ssh -G` prints
 * unexpanded: IdentityFile, CertificateFile, ProxyCommand.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';

export interface TokenValues {
  /** %h: the resolved HostName. */
  hostname?: string;
  /** %n: the name given on the command line. */
  originalHost?: string;
  /** %p */
  port?: number;
  /** %r */
  remoteUser?: string;
  /** %j: the ProxyJump setting, '' when none. */
  proxyJump?: string;
  /** %u */
  localUser: string;
  /** %d */
  localHome: string;
  /** %l (full) and %L (first label) */
  localHostname: string;
  /** %i */
  localUid: number;
}

/** This controller's side of the tokens. */
export function localTokens(): TokenValues {
  const me = os.userInfo();
  return { localUser: me.username, localHome: os.homedir(), localHostname: os.hostname(), localUid: me.uid };
}

/**
 * Expand `%x` tokens (an unknown token is left as written, as `ssh -G` shows it), and with `tilde`
 * a leading `~` and `${VAR}` (both only valid in file settings).
 */
export function expandTokens(text: string, v: TokenValues, opts: { tilde?: boolean } = {}): string {
  const host = v.hostname ?? '';
  const values: Record<string, string> = {
    '%': '%',
    h: host,
    n: v.originalHost ?? host,
    k: v.originalHost ?? host,
    p: String(v.port ?? 22),
    r: v.remoteUser ?? v.localUser,
    j: v.proxyJump ?? '',
    u: v.localUser,
    d: v.localHome,
    l: v.localHostname,
    L: v.localHostname.split('.')[0] ?? v.localHostname,
    i: String(v.localUid),
  };
  values.C = createHash('sha1').update(`${values.l}${values.h}${values.p}${values.r}${values.j}`).digest('hex');
  let out = text.replace(/%(.)/g, (all, t: string) => values[t] ?? all);
  if (opts.tilde) {
    out = out.replace(/^~(?=\/|$)/, v.localHome);
    out = out.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (all, name: string) => process.env[name] ?? all);
  }
  return out;
}
