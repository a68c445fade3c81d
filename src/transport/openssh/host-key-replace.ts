/**
 * The rebuild step's "this host was reinstalled": forget this host's keys in the user known_hosts
 * file (`ssh-keygen -R`, which matches hashed entries and leaves @cert-authority/@revoked lines
 * alone), connect with accept-new so ssh records the new key, and report old and new fingerprints.
 * Only the one `[host]:port` name ssh itself looks up is touched (resolved with `ssh -G`, so
 * HostName, Port and HostKeyAlias from ssh_config count). If the connection fails, the file is
 * put back as it was. Replacements on one file are serialised (ssh-keygen rewrites the whole file).
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConnectionError } from '../../core/errors.js';
import { fingerprint, lookupName, parseKnownHosts } from '../known-hosts.js';
import { knownHostsValue, type OpenSshOptions, type OpenSshSpec } from './options.js';

const run = promisify(execFile);

/** Where ssh looks this host up: the known_hosts name and the file new keys are written to. */
export async function knownHostsTarget(
  spec: OpenSshSpec,
  o: OpenSshOptions,
): Promise<{ lookup: string; file: string }> {
  const known = o.knownHostsFiles?.length ? ['-o', `UserKnownHostsFile=${knownHostsValue(o.knownHostsFiles)}`] : [];
  let out: string;
  try {
    ({ stdout: out } = await run(o.sshBinary ?? 'ssh', ['-G', ...known, ...spec.args, '--', spec.destination], {
      timeout: 10_000,
    }));
  } catch (err) {
    throw new ConnectionError(
      spec.name,
      `ssh -G cannot resolve ${spec.destination}: ${(err as Error).message}`,
      'other',
    );
  }
  const value = (key: string) => new RegExp(`^${key} (.*)$`, 'm').exec(out)?.[1]?.trim();
  const alias = value('hostkeyalias');
  const host = alias && alias !== 'none' ? alias : (value('hostname') ?? spec.destination);
  const port = Number(value('port') ?? '22');
  // ssh -G joins the files with spaces; a name with spaces must come through knownHostsFiles instead.
  const first = o.knownHostsFiles?.[0] ?? (value('userknownhostsfile') ?? '~/.ssh/known_hosts').split(/\s+/)[0] ?? '';
  const file = first.startsWith('~/') ? path.join(os.homedir(), first.slice(2)) : first;
  return { lookup: lookupName(host, port), file };
}

/** `TYPE SHA256:...` of each key `file` holds for `lookup` (markers excluded). */
async function keysFor(lookup: string, file: string): Promise<string[]> {
  const out = await run('ssh-keygen', ['-F', lookup, '-f', file]).then(
    (r) => r.stdout,
    () => '', // exit 1: not found (or no file)
  );
  return parseKnownHosts(out)
    .filter((e) => !e.marker)
    .map((e) => `${e.keyType} ${fingerprint(Buffer.from(e.key, 'base64'))}`);
}

const locks = new Map<string, Promise<unknown>>();

/**
 * Run `connect` (which must use accept-new and resolve with the verified `TYPE SHA256:...`) with this
 * host's old keys removed from `file`. Resolves with the change, or undefined when the key is the known one.
 */
export async function withHostKeyReplaced(
  target: { lookup: string; file: string },
  connect: () => Promise<string | undefined>,
): Promise<{ oldFingerprint: string | null; newFingerprint: string } | undefined> {
  const { lookup, file } = target;
  const prev = locks.get(file) ?? Promise.resolve();
  const task = prev.then(async () => {
    const old = await keysFor(lookup, file);
    const backup = await fs.readFile(file).catch(() => undefined);
    // ssh-keygen keeps the previous file as FILE.old, as it always does (evidence of what was trusted).
    if (old.length) await run('ssh-keygen', ['-R', lookup, '-f', file]);
    const restore = async () => {
      if (backup === undefined) return fs.rm(file, { force: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, backup, { mode: 0o600 });
      await fs.rename(tmp, file);
    };
    let key: string | undefined;
    try {
      key = await connect();
    } catch (err) {
      await restore();
      throw err;
    }
    if (!key) return undefined;
    if (old.includes(key)) {
      await restore(); // the same key: leave the file exactly as it was
      return undefined;
    }
    const sameType = old.find((k) => k.split(' ')[0] === key.split(' ')[0]);
    return { oldFingerprint: sameType ?? old[0] ?? null, newFingerprint: key };
  });
  locks.set(
    file,
    task.catch(() => undefined),
  );
  return task;
}
