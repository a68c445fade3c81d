/**
 * Helpers for tests of the OpenSSH transport: ssh isolated from the machine's own configuration
 * (`-F /dev/null`, no agent, no global known_hosts, only the given key), and keys made with ssh-keygen.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { OpenSshOptions, OpenSshSpec } from '../../src/transport/index.js';
import { OpenSshTransport } from '../../src/transport/index.js';
import { startFleet, type Fleet, type FleetHost } from './fleet.js';

export const run = promisify(execFile);

/** ssh args for a fleet host that no ssh_config, agent or global known_hosts can influence. */
export function isolatedArgs(h: FleetHost, user: string, key: string, extra: string[] = []): string[] {
  return [
    '-F',
    '/dev/null',
    '-p',
    String(h.port),
    '-l',
    user,
    '-i',
    key,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    ...extra,
  ];
}

/** An unencrypted ed25519 key pair at `file` / `file.pub`; resolves with the public key line. */
export async function keygen(file: string, comment = 'firebreak-test'): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return (await fs.readFile(`${file}.pub`, 'utf8')).trim();
}

/** Opened transports, closed by `closeAll()` (in an after hook, so also when a test fails). */
export class Transports {
  private readonly open: OpenSshTransport[] = [];

  make(
    h: FleetHost,
    o: Partial<OpenSshOptions> & { knownHostsFiles: string[] },
    key: string,
    extra: { user?: string; args?: string[] } = {},
  ): OpenSshTransport {
    const spec: OpenSshSpec = {
      name: h.name,
      destination: h.address,
      args: isolatedArgs(h, extra.user ?? 'root', key, extra.args),
    };
    const t = new OpenSshTransport(spec, { acceptNew: false, connectTimeoutMs: 20_000, ...o });
    this.open.push(t);
    return t;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.open.splice(0).map((t) => t.close()));
  }
}

/**
 * A one-host fleet whose sshd trusts a user CA and presents a host certificate, both made in `dir`
 * (`user_ca`, `host_ca`, `host-cert.pub`): the host key exists only once the fleet started, so it is
 * signed then and sshd restarted to load the certificate.
 */
export async function startCertFleet(dir: string): Promise<Fleet> {
  const f = (name: string) => path.join(dir, name);
  await keygen(f('user_ca'), 'firebreak-test-user-ca');
  await keygen(f('host_ca'), 'firebreak-test-host-ca');
  const fleet = await startFleet({
    hosts: 1,
    sshdConfigExtra: [`TrustedUserCAKeys ${f('user_ca.pub')}`, `HostCertificate ${f('host-cert.pub')}`],
  });
  try {
    const h = fleet.hosts[0]!;
    await signKey(f('host_ca'), `${h.hostKeyPath}.pub`, 'fleet-host', h.address, true);
    await fs.copyFile(`${h.hostKeyPath}-cert.pub`, f('host-cert.pub'));
    await fleet.stopHost(h.name);
    await fleet.startHost(h.name);
    return fleet;
  } catch (err) {
    await fleet.stop();
    throw err;
  }
}

/** Sign `pubFile` with `ca` for `principal`, valid from 5 minutes ago for an hour (`FILE-cert.pub`). */
export async function signKey(ca: string, pubFile: string, id: string, principal: string, host = false) {
  await run('ssh-keygen', [
    '-q',
    '-s',
    ca,
    '-I',
    id,
    ...(host ? ['-h'] : []),
    '-n',
    principal,
    '-V',
    '-5m:+1h',
    pubFile,
  ]);
}
