/**
 * Helpers for tests of the OpenSSH transport: ssh isolated from the machine's own configuration
 * (`-F /dev/null`, no agent, no global known_hosts, only the given key), and keys made with ssh-keygen.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { promisify } from 'node:util';
import type { OpenSshOptions, OpenSshSpec } from '../../src/transport/index.js';
import { OpenSshTransport } from '../../src/transport/index.js';
import type { FleetHost } from './fleet.js';

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
