/**
 * Every known_hosts file OpenSSH would read for a host, in its order: the user's files
 * (UserKnownHostsFile, all of them), then the global ones (GlobalKnownHostsFile, read-only). A key
 * is trusted if any file lists it for the host; `@revoked` in any file refuses it; a host known in
 * some file with another key is "changed". `--accept-new` records into the first user file only,
 * and a rebuild replaces the host's key in the user files (a global file is never written).
 */
import { ConnectionError } from '../core/errors.js';
import type { KnownHostsStore } from './known-hosts-store.js';
import { checkHostKey, type HostKeyVerdict } from './known-hosts.js';

/** What a handshake needs of known_hosts: one file (KnownHostsStore) or several (KnownHostsSet). */
export type HostKeyStore = Pick<KnownHostsStore, 'knownTypes' | 'verify' | 'replace'>;

export class KnownHostsSet implements HostKeyStore {
  constructor(
    /** User files, first = where accept-new writes. */
    private readonly user: readonly KnownHostsStore[],
    private readonly global: readonly KnownHostsStore[],
  ) {
    if (!user.length) throw new RangeError('a known_hosts set needs at least one user file');
  }

  private get all(): KnownHostsStore[] {
    return [...this.user, ...this.global];
  }

  async knownTypes(host: string, port: number): Promise<string[]> {
    const types = await Promise.all(this.all.map((s) => s.knownTypes(host, port)));
    return [...new Set(types.flat())];
  }

  private async verdicts(address: string, port: number, blob: Buffer) {
    return Promise.all(
      this.all.map(async (store) => ({ store, verdict: checkHostKey(await store.entries(), address, port, blob) })),
    );
  }

  async verify(hostName: string, address: string, port: number, blob: Buffer, acceptNew: boolean): Promise<void> {
    const all = await this.verdicts(address, port, blob);
    const is = (s: HostKeyVerdict['status']) => all.find((v) => v.verdict.status === s);
    // The store that holds the verdict says it, with its own file and line in the message.
    const refusal = is('revoked') ?? (is('ok') ? undefined : is('changed'));
    if (refusal) return refusal.store.verify(hostName, address, port, blob, false);
    if (is('ok')) return;
    return (this.user[0] as KnownHostsStore).verify(hostName, address, port, blob, acceptNew);
  }

  async replace(hostName: string, address: string, port: number, blob: Buffer) {
    const all = await this.verdicts(address, port, blob);
    const pinned = all.find((v) => this.global.includes(v.store) && v.verdict.status !== 'unknown');
    if (pinned && pinned.verdict.status !== 'ok')
      throw new ConnectionError(
        hostName,
        `the reinstalled host's new key cannot be recorded: ${pinned.store.file} (read-only, global) still pins another key for it`,
        'hostkey-changed',
      );
    let change: Awaited<ReturnType<KnownHostsStore['replace']>>;
    for (const store of this.user) {
      const here = all.find((v) => v.store === store)?.verdict.status;
      // The first user file always gets the new key; another gets it in place of the old one it had.
      if (store !== this.user[0] && here === 'unknown') continue;
      change = (await store.replace(hostName, address, port, blob)) ?? change;
    }
    return change;
  }
}
