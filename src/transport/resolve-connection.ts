/**
 * From a host's inventory spec and the ssh command Ansible would run for it, to the connection
 * firebreak will really make: OpenSSH's own configuration applied (`ssh -G`), then which transport
 * can do it. `auto` keeps ssh2 (in-process, fastest) unless the host's resolved settings need the
 * system OpenSSH client: a ProxyCommand, a certificate, a FIDO key, a host known only through an
 * SSH CA, or algorithms ssh2 does not have.
 */
import { existsSync, readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import { InputError } from '../core/errors.js';
import type { ConnectionSpec } from '../core/host.js';
import { TRANSPORT_CHOICES, TRANSPORT_VAR, type TransportChoice } from '../core/transport.js';
import { lookupName, parseKnownHosts, patternsMatch } from './known-hosts.js';
import { resolveSshConfig, resolveSshConfigs, SshConfigError, type SshConfigView } from './ssh-config.js';
import { localTokens } from './ssh-tokens.js';
import { unhonouredBySsh2 } from './ssh2-honoured.js';
import { parseJumpHop } from './ssh-args.js';
import { jumpFromProxyCommand } from '../inventory/connection.js';
import ssh2Constants from './ssh2-algorithms.js';

export interface ResolveOptions {
  /** `--transport`; default auto. */
  transport?: TransportChoice;
  /** `--known-hosts`: replaces the ssh config's user files unless the inventory's arguments name one. */
  knownHostsFile?: string;
  /** The OpenSSH client; default `ssh`. */
  ssh?: string;
  /** Warnings for the responder (e.g. OpenSSH not installed). */
  warn?: (message: string) => void;
}

/** Shells running `ssh -G` at once, at most (each runs up to 50 of them, see resolveSshConfigs). */
const CONCURRENT_SSH_G = 4;

/** Resolve every host's connection (in parallel, bounded). */
export async function resolveConnections(
  items: readonly { spec: ConnectionSpec; hostTransport?: unknown }[],
  o: ResolveOptions = {},
): Promise<ConnectionSpec[]> {
  const limit = pLimit(CONCURRENT_SSH_G);
  const said = new Set<string>();
  // Once per message: a missing OpenSSH client would otherwise be said once per host.
  const warn = (m: string) => {
    if (!said.has(m)) o.warn?.(m);
    said.add(m);
  };
  const asked = items.filter((i) => i.spec.transport !== 'local' && i.spec.sshCommand);
  const views = await resolveSshConfigs(
    asked.map((i) => ({ destination: i.spec.sshCommand!.destination, args: i.spec.sshCommand!.args })),
    localTokens(),
    o.ssh,
    limit,
  );
  const viewOf = new Map(asked.map((i, n) => [i, views[n] as SshConfigView | SshConfigError]));
  return Promise.all(
    items.map((i) => {
      const v = viewOf.get(i);
      return resolveConnection(i.spec, i.hostTransport, { ...o, warn }, v && (() => v));
    }),
  );
}

/**
 * One host's connection. `asked`: its `ssh -G` result when already asked (resolveConnections asks for
 * all hosts at once); otherwise `ssh -G` runs here.
 */
export async function resolveConnection(
  spec: ConnectionSpec,
  hostTransport: unknown,
  o: ResolveOptions = {},
  asked?: () => SshConfigView | SshConfigError,
): Promise<ConnectionSpec> {
  if (spec.transport === 'local' || !spec.sshCommand) return spec;
  const choice = transportChoice(spec.name, hostTransport, o.transport);
  let view: SshConfigView;
  try {
    const v = asked
      ? asked()
      : await resolveSshConfig(spec.sshCommand.destination, spec.sshCommand.args, localTokens(), o.ssh);
    if (v instanceof SshConfigError) throw v;
    view = v;
  } catch (e) {
    if (!(e instanceof SshConfigError)) throw e;
    if (!e.missingSsh) throw new InputError(`${spec.name}: ssh -G refused the host's ssh settings: ${e.message}`);
    if (choice === 'openssh')
      throw new InputError(`${spec.name}: the openssh transport needs the OpenSSH client (apt install openssh-client)`);
    o.warn?.(`${e.message}: ~/.ssh/config is not read; hosts are reached with their inventory settings only`);
    return { ...spec, transport: 'ssh2', transportReason: 'ssh2 (OpenSSH not installed)', sshConfigSource: e.message };
  }
  const merged = mergeView(spec, view, o.knownHostsFile);
  const weakening = configWeakening(spec, view);
  if (weakening)
    o.warn?.(
      `${spec.name}: its ssh config sets ${weakening}, which would switch off host-key verification: ignored unless --trust-inventory-host-key-options`,
    );
  const needs = opensshNeeds(merged, view);
  if (choice === 'ssh2' && needs.length)
    throw new InputError(
      `${spec.name}: the ssh2 transport cannot do what this host's ssh settings ask (${needs.join('; ')}): ` +
        `use --transport openssh (or auto), or ${TRANSPORT_VAR}=openssh for this host`,
    );
  const transport = choice === 'auto' ? (needs.length ? 'openssh' : 'ssh2') : choice;
  if (transport === 'ssh2')
    for (const opt of unhonouredBySsh2(spec.sshCommand.args))
      o.warn?.(
        `ssh ${opt.startsWith('-') ? 'flag' : 'option'} ${opt} in the inventory's ssh arguments is not honoured by the ssh2 transport: --transport openssh (or ${TRANSPORT_VAR}=openssh) runs ssh with it`,
      );
  // ssh2 makes the jumps itself: each hop's name goes through the ssh config too, as ssh's would.
  if (transport === 'ssh2' && merged.jump?.length)
    merged.jump = await Promise.all(merged.jump.map((h) => resolveHop(h, o.ssh)));
  const reason =
    choice !== 'auto'
      ? `${transport} (chosen: ${hostTransport !== undefined ? TRANSPORT_VAR : '--transport'})`
      : needs.length
        ? `openssh (auto: ${needs.join('; ')})`
        : 'ssh2 (auto: nothing in the ssh settings needs OpenSSH)';
  return { ...merged, transport, transportReason: reason };
}

/** `[user@]alias[:port]` → `user@hostname:port` as the ssh config resolves the alias. */
async function resolveHop(hop: string, ssh?: string): Promise<string> {
  const h = parseJumpHop(hop);
  const args = [
    ...(h.user ? ['-l', h.user] : []),
    ...(h.port !== 22 || /:\d+$/.test(hop) ? ['-p', String(h.port)] : []),
  ];
  const view = await resolveSshConfig(h.host, args, localTokens(), ssh);
  const host = view.hostname.includes(':') ? `[${view.hostname}]` : view.hostname;
  return `${view.user}@${host}:${view.port}`;
}

function transportChoice(host: string, hostVar: unknown, cli: TransportChoice | undefined): TransportChoice {
  if (hostVar === undefined || hostVar === null) return cli ?? 'auto';
  const v = String(hostVar);
  if (!(TRANSPORT_CHOICES as readonly string[]).includes(v))
    throw new InputError(`${host}: ${TRANSPORT_VAR}=${v} is not one of ${TRANSPORT_CHOICES.join(', ')}`);
  return v as TransportChoice;
}

/**
 * The connect timeout for a host: the inventory's own (`ansible_timeout`, or ConnectTimeout in its ssh
 * args) beats the command line's, which beats the ssh config's, as Ansible's host variables beat its
 * command line.
 */
export function connectTimeoutFor(spec: ConnectionSpec, commandLineMs: number | undefined): number {
  const fromInventory = argsName(spec.sshCommand?.args ?? [], 'ConnectTimeout') ? spec.connectTimeoutMs : undefined;
  return fromInventory ?? commandLineMs ?? spec.connectTimeoutMs ?? 10_000;
}

/** Does an ssh argument list name this option (`-o Name=…`, `-oName …`)? */
function argsName(args: readonly string[], option: string): boolean {
  const re = new RegExp(`^(-o)?\\s*${option}\\s*[= ]`, 'i');
  return args.some((a) => re.test(a));
}

function mergeView(spec: ConnectionSpec, view: SshConfigView, cliKnownHosts?: string): ConnectionSpec {
  const args = spec.sshCommand?.args ?? [];
  const out: ConnectionSpec = {
    ...spec,
    sshConfigSource: 'ssh -G',
    address: view.hostname,
    port: view.port,
    user: view.user,
    identityFiles: view.identityFiles.filter((f) => f !== spec.privateKeyFile),
    identitiesOnly: view.identitiesOnly,
    strictHostKeyChecking: view.strictHostKeyChecking,
    ...serverAliveOf(view),
  };
  if (view.certificateFiles.length) out.certificateFiles = view.certificateFiles;
  if (view.hostKeyAlias) out.hostKeyAlias = view.hostKeyAlias;
  if (view.connectTimeout !== undefined) out.connectTimeoutMs = view.connectTimeout * 1000;
  if (!spec.jump?.length) {
    const viaCommand = view.proxyCommand ? jumpFromProxyCommand(view.proxyCommand) : undefined;
    if (view.proxyJump.length) out.jump = view.proxyJump;
    else if (viaCommand) out.jump = [viaCommand];
    else if (view.proxyCommand) out.proxyCommand = view.proxyCommand;
  }
  // The inventory's own UserKnownHostsFile beats --known-hosts, which beats the ssh config's files.
  out.knownHostsFiles =
    cliKnownHosts && !argsName(args, 'UserKnownHostsFile') ? [cliKnownHosts] : view.userKnownHostsFiles;
  out.globalKnownHostsFiles = view.globalKnownHostsFiles;
  return out;
}

/** A weakening of host-key checks that comes from the ssh config, not the inventory (the CLI warns of those). */
function configWeakening(spec: ConnectionSpec, view: SshConfigView): string | undefined {
  const args = spec.sshCommand?.args ?? [];
  if (view.strictHostKeyChecking === 'no' && !argsName(args, 'StrictHostKeyChecking'))
    return 'StrictHostKeyChecking no';
  if (view.userKnownHostsFiles.includes('/dev/null') && !argsName(args, 'UserKnownHostsFile'))
    return 'UserKnownHostsFile /dev/null';
  return undefined;
}

function serverAliveOf(view: SshConfigView): Partial<ConnectionSpec> {
  return view.serverAliveInterval > 0
    ? { keepaliveIntervalMs: view.serverAliveInterval * 1000, keepaliveCountMax: view.serverAliveCountMax }
    : {};
}

/** What in these settings the ssh2 transport cannot do; empty when it can do all of it. */
export function opensshNeeds(spec: ConnectionSpec, view: SshConfigView): string[] {
  const needs: string[] = [];
  if (spec.proxyCommand) needs.push(`ProxyCommand ${spec.proxyCommand}`);
  if (spec.certificateFiles?.length) needs.push(`CertificateFile ${spec.certificateFiles.join(' ')}`);
  const sk = [spec.privateKeyFile, ...(spec.identityFiles ?? [])].filter((f): f is string => !!f && isSkKey(f));
  if (sk.length) needs.push(`FIDO key ${sk.join(' ')}`);
  if (!view.kexAlgorithms.some((a) => ssh2Constants.kex.has(a)))
    needs.push(`KexAlgorithms ${view.kexAlgorithms.join(',')} (none of them in ssh2)`);
  if (!view.hostKeyAlgorithms.some((a) => ssh2Constants.hostKey.has(a)))
    needs.push(`HostKeyAlgorithms ${view.hostKeyAlgorithms.join(',')} (none of them in ssh2)`);
  if (spec.hostKeyAlias) needs.push(`HostKeyAlias ${spec.hostKeyAlias} (ssh2 looks host keys up by address)`);
  const ca = caOnly(spec);
  if (ca) needs.push(`host known only through @cert-authority (${ca})`);
  return needs;
}

/** A FIDO (`sk-`) key: its .pub says so. */
function isSkKey(file: string): boolean {
  try {
    return readFileSync(`${file}.pub`, 'utf8').startsWith('sk-');
  } catch {
    return false;
  }
}

/** `file:line` of an @cert-authority line for the host when no plain key line names it. */
function caOnly(spec: ConnectionSpec): string | undefined {
  const name = lookupName(spec.hostKeyAlias ?? spec.address, spec.hostKeyAlias ? 22 : spec.port);
  let ca: string | undefined;
  for (const file of [...(spec.knownHostsFiles ?? []), ...(spec.globalKnownHostsFiles ?? [])]) {
    if (!existsSync(file)) continue;
    let entries;
    try {
      entries = parseKnownHosts(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.marker === '@revoked' || !patternsMatch(e.patterns, name)) continue;
      if (!e.marker) return undefined;
      ca ??= `${file}:${e.line}`;
    }
  }
  return ca;
}
