/**
 * The known_hosts file as the transport uses it: read (cached by mtime), verify a presented key, and
 * with accept-new append unknown keys. Appends from many parallel handshakes are serialised through
 * one in-process lock per file and re-check the file inside the lock, so each key is written once;
 * every append is a single O_APPEND write, which other processes cannot interleave.
 */
import { promises as fs, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConnectionError } from '../core/errors.js';
import {
  blobKeyType,
  checkHostKey,
  fingerprint,
  formatEntry,
  knownKeyTypes,
  lookupName,
  parseKnownHosts,
  patternsMatch,
  type KnownHostEntry,
} from './known-hosts.js';

export function defaultKnownHostsFile(): string {
  return path.join(os.homedir(), '.ssh', 'known_hosts');
}

export class KnownHostsStore {
  private cache?: { mtimeMs: number; size: number; entries: KnownHostEntry[] };
  private lock: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string = defaultKnownHostsFile()) {}

  /**
   * Synchronous on purpose: every handshake asks twice, in the middle of its key exchange, and a stat
   * of one small file costs microseconds, while a trip through libuv's thread pool — busy with
   * hundreds of handshakes and output files — delays the handshake itself.
   */
  async entries(): Promise<KnownHostEntry[]> {
    let st;
    try {
      st = statSync(this.file);
    } catch {
      return []; // no file yet: every host is unknown
    }
    if (this.cache && this.cache.mtimeMs === st.mtimeMs && this.cache.size === st.size) return this.cache.entries;
    const entries = parseKnownHosts(readFileSync(this.file, 'utf8'));
    this.cache = { mtimeMs: st.mtimeMs, size: st.size, entries };
    return entries;
  }

  async knownTypes(host: string, port: number): Promise<string[]> {
    return knownKeyTypes(await this.entries(), host, port);
  }

  /**
   * Verify `blob` for `host:port`. Resolves when trusted (appending it first with acceptNew);
   * rejects with ConnectionError `hostkey-unknown` / `hostkey-changed` otherwise. Never prompts.
   */
  async verify(hostName: string, address: string, port: number, blob: Buffer, acceptNew: boolean): Promise<void> {
    const verdict = checkHostKey(await this.entries(), address, port, blob);
    const fp = `${blobKeyType(blob)} ${fingerprint(blob)}`;
    const where = lookupName(address, port);
    if (verdict.status === 'ok') return;
    if (verdict.status === 'revoked') {
      throw new ConnectionError(
        hostName,
        `host key ${fp} of ${where} is marked @revoked in ${this.file}:${verdict.line}; refusing to connect`,
        'hostkey-changed',
      );
    }
    if (verdict.status === 'changed') {
      throw new ConnectionError(
        hostName,
        `REMOTE HOST IDENTIFICATION HAS CHANGED for ${where}: it presented ${fp}, which does not match the ` +
          `${verdict.knownType} key in ${this.file}:${verdict.line}. Possible man-in-the-middle attack; refusing to connect. ` +
          `If the change is legitimate, remove the old entry (ssh-keygen -R '${where}' -f ${this.file}).`,
        'hostkey-changed',
      );
    }
    if (!acceptNew) {
      throw new ConnectionError(
        hostName,
        `host key of ${where} is not known (${fp}). Verify it out of band and add it to ${this.file}, ` +
          `or run with --accept-new to trust it on first use.`,
        'hostkey-unknown',
      );
    }
    await this.append(hostName, address, port, blob);
  }

  /**
   * For a reinstalled host only (rebuild): trust `blob` for `host:port`, replacing whatever key the
   * file had for it (those lines are removed; the file is rewritten atomically). Resolves with the old
   * and new fingerprints when something changed, undefined when the key was already the known one.
   * `@revoked` keys stay refused.
   */
  async replace(
    hostName: string,
    address: string,
    port: number,
    blob: Buffer,
  ): Promise<{ oldFingerprint: string | null; newFingerprint: string } | undefined> {
    const task = this.lock.then(async () => {
      this.cache = undefined;
      const entries = await this.entries();
      const verdict = checkHostKey(entries, address, port, blob);
      if (verdict.status === 'ok') return undefined;
      if (verdict.status === 'revoked')
        throw new ConnectionError(
          hostName,
          `host key ${fingerprint(blob)} of ${lookupName(address, port)} is marked @revoked in ${this.file}; refusing to connect`,
          'hostkey-changed',
        );
      const name = lookupName(address, port);
      const stale = new Set(entries.filter((e) => !e.marker && patternsMatch(e.patterns, name)).map((e) => e.line));
      const old = entries.find((e) => stale.has(e.line));
      let text = '';
      try {
        text = await fs.readFile(this.file, 'utf8');
      } catch {
        /* no file yet */
      }
      const kept = text
        .split('\n')
        .filter((_, i) => !stale.has(i + 1))
        .join('\n')
        .replace(/\n*$/, '\n')
        .replace(/^\n$/, '');
      const tmp = `${this.file}.${process.pid}.tmp`;
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await fs.writeFile(tmp, kept + formatEntry(address, port, blob), { mode: 0o600 });
      await fs.rename(tmp, this.file);
      this.cache = undefined;
      return {
        oldFingerprint: old ? `${old.keyType} ${fingerprint(Buffer.from(old.key, 'base64'))}` : null,
        newFingerprint: `${blobKeyType(blob)} ${fingerprint(blob)}`,
      };
    });
    this.lock = task.catch(() => undefined);
    return task;
  }

  private async append(hostName: string, address: string, port: number, blob: Buffer): Promise<void> {
    const task = this.lock.then(async () => {
      // Another handshake may have recorded a key for this host meanwhile: re-check inside the lock.
      this.cache = undefined;
      const again = checkHostKey(await this.entries(), address, port, blob);
      if (again.status === 'ok') return;
      if (again.status !== 'unknown') {
        throw new ConnectionError(
          hostName,
          `host key of ${lookupName(address, port)} changed while connecting (${fingerprint(blob)}); refusing`,
          'hostkey-changed',
        );
      }
      await fs.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      let prefix = '';
      try {
        const fh = await fs.open(this.file, 'r');
        try {
          const { size } = await fh.stat();
          if (size > 0) {
            const last = Buffer.alloc(1);
            await fh.read(last, 0, 1, size - 1);
            if (last[0] !== 0x0a) prefix = '\n';
          }
        } finally {
          await fh.close();
        }
      } catch {
        /* file does not exist yet */
      }
      await fs.appendFile(this.file, prefix + formatEntry(address, port, blob), { mode: 0o600 });
      this.cache = undefined;
    });
    this.lock = task.catch(() => undefined);
    return task;
  }
}
