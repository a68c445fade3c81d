/**
 * What OpenSSH's own configuration says about one destination, asked of OpenSSH itself: `ssh -G`
 * applies ~/.ssh/config and /etc/ssh/ssh_config (Include, Match host/user/originalhost/exec, first
 * value wins, ssh's defaults) exactly as `ssh` would, without connecting. A parser of our own would
 * drift from it; running it costs a few milliseconds per host.
 *
 * `ssh -G` leaves the tokens of IdentityFile, CertificateFile and ProxyCommand unexpanded (it expands
 * them only when it connects), so those are expanded here (ssh-tokens.ts).
 */
import { execFile } from 'node:child_process';
import { expandTokens, type TokenValues } from './ssh-tokens.js';

/** The settings firebreak uses, as `ssh -G` resolved them for one destination. */
export interface SshConfigView {
  hostname: string;
  user: string;
  port: number;
  identityFiles: string[];
  identitiesOnly: boolean;
  certificateFiles: string[];
  /** Jump hosts, outermost first; empty when none. */
  proxyJump: string[];
  /** With tokens expanded; undefined when none. */
  proxyCommand?: string;
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  /** yes, no, ask or accept-new (`off` reads as no). */
  strictHostKeyChecking: string;
  /** Seconds; undefined for ssh's `none` (the system's TCP timeout). */
  connectTimeout?: number;
  /** Seconds; 0 = off. */
  serverAliveInterval: number;
  serverAliveCountMax: number;
  kexAlgorithms: string[];
  hostKeyAlgorithms: string[];
  /** HostKeyAlias when set: the name host keys are looked up under. */
  hostKeyAlias?: string;
}

/** The raw `key value` lines of `ssh -G`; keys that repeat (identityfile) keep every value in order. */
export function parseSshG(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const key = (m[1] as string).toLowerCase();
    const list = out.get(key) ?? [];
    list.push(m[2] as string);
    out.set(key, list);
  }
  return out;
}

/** The view of one destination from `ssh -G` output; `originalHost` is the name given to ssh. */
export function sshConfigView(raw: Map<string, string[]>, originalHost: string, local: TokenValues): SshConfigView {
  const one = (k: string): string | undefined => raw.get(k)?.[0];
  const hostname = one('hostname') ?? originalHost;
  const user = one('user') ?? local.localUser;
  const port = Number(one('port') ?? 22);
  const tokens: TokenValues = { ...local, hostname, originalHost, port, remoteUser: user };
  const files = (k: string) => (raw.get(k) ?? []).map((f) => expandTokens(f, tokens, { tilde: true }));
  const words = (k: string) => (one(k) ?? '').split(/\s+/).filter(Boolean);
  const list = (k: string) => (one(k) ?? '').split(',').filter(Boolean);
  const jump = one('proxyjump');
  const proxyCommand = one('proxycommand');
  const timeout = one('connecttimeout');
  const alias = one('hostkeyalias');
  return {
    hostname,
    user,
    port,
    identityFiles: files('identityfile'),
    identitiesOnly: one('identitiesonly') === 'yes',
    certificateFiles: files('certificatefile'),
    proxyJump: jump && jump !== 'none' ? jump.split(',').filter(Boolean) : [],
    ...(proxyCommand && proxyCommand !== 'none' ? { proxyCommand: expandTokens(proxyCommand, tokens) } : {}),
    userKnownHostsFiles: words('userknownhostsfile').map((f) => expandTokens(f, tokens, { tilde: true })),
    globalKnownHostsFiles: words('globalknownhostsfile').map((f) => expandTokens(f, tokens, { tilde: true })),
    strictHostKeyChecking: strictness(one('stricthostkeychecking')),
    ...(timeout && timeout !== 'none' ? { connectTimeout: Number(timeout) } : {}),
    serverAliveInterval: Number(one('serveraliveinterval') ?? 0),
    serverAliveCountMax: Number(one('serveralivecountmax') ?? 3),
    kexAlgorithms: list('kexalgorithms'),
    hostKeyAlgorithms: list('hostkeyalgorithms'),
    ...(alias && alias !== 'none' ? { hostKeyAlias: alias } : {}),
  };
}

/** `ssh -G` prints StrictHostKeyChecking yes/no as true/false; the rest as written. */
function strictness(value: string | undefined): string {
  const v = (value ?? 'ask').toLowerCase();
  return v === 'true' ? 'yes' : v === 'false' ? 'no' : v;
}

/** Why `ssh -G` could not answer: no OpenSSH client here, or it refused the arguments/config. */
export class SshConfigError extends Error {
  constructor(
    message: string,
    readonly missingSsh: boolean,
  ) {
    super(message);
    this.name = 'SshConfigError';
  }
}

/** Bound on one `ssh -G` (a `Match exec` in the user's config runs a command of theirs). */
const SSH_G_TIMEOUT_MS = 10_000;

/**
 * Run `ssh -G ARGS -- DESTINATION` and return its view. `args` are ssh options in the order Ansible
 * passes them (the first value of an option wins, in ssh as in ssh -G).
 */
export function resolveSshConfig(
  destination: string,
  args: readonly string[],
  local: TokenValues,
  ssh = 'ssh',
): Promise<SshConfigView> {
  return new Promise((resolve, reject) => {
    execFile(
      ssh,
      ['-G', ...args, '--', destination],
      { timeout: SSH_G_TIMEOUT_MS, maxBuffer: 1024 * 1024, env: process.env },
      (err, stdout, stderr) => {
        if (err) {
          const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
          const why = missing
            ? `the OpenSSH client (${ssh}) is not installed`
            : (String(stderr).trim().split('\n').slice(0, 3).join('; ') || err.message).slice(0, 500);
          reject(new SshConfigError(why, missing));
          return;
        }
        resolve(sshConfigView(parseSshG(String(stdout)), destination, local));
      },
    );
  });
}
