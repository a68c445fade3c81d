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
import { randomBytes } from 'node:crypto';
import { quote } from '../core/quote.js';
import { configIsHostIndependent, firstPort, plainDestination } from './ssh-config-scope.js';
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

/** One destination as ssh would be asked for it. */
export interface SshGItem {
  destination: string;
  args: readonly string[];
}

/**
 * Run `ssh -G ARGS -- DESTINATION` and return its view. `args` are ssh options in the order Ansible
 * passes them (the first value of an option wins, in ssh as in ssh -G).
 */
export async function resolveSshConfig(
  destination: string,
  args: readonly string[],
  local: TokenValues,
  ssh = 'ssh',
): Promise<SshConfigView> {
  return sshConfigView(await askOne({ destination, args }, ssh), destination, local);
}

function askOne(item: SshGItem, ssh: string): Promise<Map<string, string[]>> {
  return new Promise((resolve, reject) => {
    execFile(
      ssh,
      ['-G', ...item.args, '--', item.destination],
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
        resolve(parseSshG(String(stdout)));
      },
    );
  });
}

/** Destinations one shell resolves, one `ssh -G` after another. */
const PER_SHELL = 50;

/**
 * `resolveSshConfig` for many destinations, in order, each a view or the SshConfigError it got.
 * Hosts that must get the same answer but for their name and port (ssh-config-scope.ts) share one
 * `ssh -G`. The others run as they would one by one, but one shell runs fifty of them: from a
 * controller holding a large heap each process it spawns costs milliseconds of its own CPU (a third
 * of a second for 100 hosts, on the critical path before the first connection); a small shell's fork
 * costs a fraction of that. A batch that goes wrong as a whole (no shell, the time bound) is asked
 * one by one instead.
 */
export async function resolveSshConfigs(
  items: readonly SshGItem[],
  local: TokenValues,
  ssh = 'ssh',
  at = <T>(run: () => Promise<T>): Promise<T> => run(),
): Promise<(SshConfigView | SshConfigError)[]> {
  const { asked, sharedWith } = shareAnswers(items);
  const answers = await askMany(
    asked.map((i) => items[i] as SshGItem),
    ssh,
    at,
  );
  const byItem = new Map(asked.map((i, n) => [i, answers[n] as Map<string, string[]> | SshConfigError]));
  const leftOver: number[] = [];
  for (const [rep, members] of sharedWith) {
    const a = byItem.get(rep);
    for (const m of members) {
      const derived = a instanceof Map ? derive(a, items[rep] as SshGItem, items[m] as SshGItem) : undefined;
      if (derived) byItem.set(m, derived);
      else leftOver.push(m);
    }
  }
  const late = await askMany(
    leftOver.map((i) => items[i] as SshGItem),
    ssh,
    at,
  );
  leftOver.forEach((i, n) => byItem.set(i, late[n] as Map<string, string[]> | SshConfigError));
  return items.map((item, i) => {
    const a = byItem.get(i) as Map<string, string[]> | SshConfigError;
    return a instanceof Map ? sshConfigView(a, item.destination, local) : a;
  });
}

/** Which items to ask, and for each asked one, the items whose answer is derived from its own. */
function shareAnswers(items: readonly SshGItem[]): { asked: number[]; sharedWith: Map<number, number[]> } {
  const asked: number[] = [];
  const sharedWith = new Map<number, number[]>();
  const repOf = new Map<string, number>();
  const independence = new Map<string, boolean>();
  items.forEach((item, i) => {
    const key = shareKey(item, independence);
    const rep = key === undefined ? undefined : repOf.get(key);
    if (rep === undefined) {
      asked.push(i);
      if (key !== undefined) repOf.set(key, i);
      return;
    }
    sharedWith.set(rep, [...(sharedWith.get(rep) ?? []), i]);
  });
  return { asked, sharedWith };
}

/** Items with the same key get the same `ssh -G` answer but for host, hostname and port; undefined: ask it. */
function shareKey(item: SshGItem, independence: Map<string, boolean>): string | undefined {
  if (!plainDestination(item.destination)) return undefined;
  const p = firstPort(item.args);
  if (p && !/^[1-9]\d{0,4}$/.test(p.port)) return undefined;
  const args = p ? item.args.map((a, i) => (i === p.index ? '<port>' : a)) : [...item.args];
  const key = JSON.stringify(args);
  let ok = independence.get(key);
  if (ok === undefined) independence.set(key, (ok = configIsHostIndependent(item.args)));
  return ok ? key : undefined;
}

/** `member`'s answer from `rep`'s, when rep's shows its own name and port unchanged; else undefined. */
function derive(answer: Map<string, string[]>, rep: SshGItem, member: SshGItem): Map<string, string[]> | undefined {
  const repPort = firstPort(rep.args)?.port;
  const memberPort = firstPort(member.args)?.port;
  if (answer.get('hostname')?.[0] !== rep.destination) return undefined;
  if (repPort !== undefined && answer.get('port')?.[0] !== repPort) return undefined;
  const out = new Map(answer);
  out.set('host', [member.destination]);
  out.set('hostname', [member.destination]);
  if (memberPort !== undefined) out.set('port', [memberPort]);
  return out;
}

/** ssh -G for each item, fifty to a shell; a batch that fails as a whole is asked one by one. */
async function askMany(
  items: readonly SshGItem[],
  ssh: string,
  at: <T>(run: () => Promise<T>) => Promise<T>,
): Promise<(Map<string, string[]> | SshConfigError)[]> {
  const batches: SshGItem[][] = [];
  for (let i = 0; i < items.length; i += PER_SHELL) batches.push(items.slice(i, i + PER_SHELL));
  const out = await Promise.all(
    batches.map((batch) =>
      at(async () => {
        const raw = await runBatch(batch, ssh).catch(() => undefined);
        return Promise.all(
          batch.map((item, i) => {
            const r = raw?.[i];
            if (!r) return askOne(item, ssh).catch((e: unknown) => asError(e));
            if (r.rc === 0) return parseSshG(r.stdout);
            const missing = r.rc === 127 && /not found/.test(r.stderr);
            const why = missing
              ? `the OpenSSH client (${ssh}) is not installed`
              : r.stderr.trim().split('\n').slice(0, 3).join('; ').slice(0, 500) || `ssh -G exited with ${r.rc}`;
            return new SshConfigError(why, missing);
          }),
        );
      }),
    ),
  );
  return out.flat();
}
function asError(e: unknown): SshConfigError {
  return e instanceof SshConfigError ? e : new SshConfigError(e instanceof Error ? e.message : String(e), false);
}

/**
 * One shell, `ssh -G` for each item in turn; after each, a marker line on stdout (with its exit
 * status) and on stderr, so both streams split back into the items. Undefined results when the
 * output does not split into exactly one part per item.
 */
function runBatch(batch: readonly SshGItem[], ssh: string): Promise<{ rc: number; stdout: string; stderr: string }[]> {
  const mark = `__FIREBREAK_SSH_G_${randomBytes(8).toString('hex')}`;
  const script = batch
    .map(
      (item) =>
        `${quote(ssh)} -G ${[...item.args, '--', item.destination].map(quote).join(' ')} </dev/null; ` +
        `printf '\\n%s %s\\n' ${mark} $?; printf '\\n%s\\n' ${mark} >&2`,
    )
    .join('\n');
  return new Promise((resolve, reject) => {
    execFile(
      '/bin/sh',
      ['-c', script],
      { timeout: SSH_G_TIMEOUT_MS + batch.length * 200, maxBuffer: batch.length * 1024 * 1024, env: process.env },
      (err, stdout, stderr) => {
        if (err) return reject(err);
        const outs = String(stdout).split(new RegExp(`\\n${mark} (\\d+)\\n`));
        const errs = String(stderr).split(`\n${mark}\n`);
        if (outs.length !== batch.length * 2 + 1 || errs.length !== batch.length + 1)
          return reject(new Error('ssh -G batch output did not split into its items'));
        resolve(
          batch.map((_, i) => ({
            stdout: outs[i * 2] as string,
            rc: Number(outs[i * 2 + 1]),
            stderr: errs[i] as string,
          })),
        );
      },
    );
  });
}
