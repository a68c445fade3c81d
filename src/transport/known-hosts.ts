/**
 * OpenSSH known_hosts, parsed and matched without I/O: plain, wildcard, negated, `[host]:port` and
 * hashed (`|1|salt|hmac`) host patterns; `@revoked` keys refuse a host anywhere; `@cert-authority`
 * lines are kept but never match (we do not verify host certificates), so they do not crash us.
 */
import { createHash, createHmac } from 'node:crypto';
import { compileGlob, globMatch, type GlobToken } from '../core/glob.js';

/** One key line of a known_hosts file. */
export interface KnownHostEntry {
  line: number;
  marker?: '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  /** Base64 key blob as written in the file. */
  key: string;
}

/** What the file says about a presented host key. */
export type HostKeyVerdict =
  | { status: 'ok'; line: number }
  | { status: 'unknown' }
  /** The host is known with another key (of this type, or only of types the server did not offer). */
  | { status: 'changed'; line: number; knownType: string }
  | { status: 'revoked'; line: number };

/**
 * Longer lines are skipped as malformed: the largest keys (16384-bit RSA) take under 3 KB of base64,
 * and matching a host against a multi-megabyte pattern list would cost seconds per connection.
 */
const MAX_LINE = 64 * 1024;

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim();
    if (!raw || raw.startsWith('#') || raw.length > MAX_LINE) continue;
    const fields = raw.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority')
      marker = fields.shift() as KnownHostEntry['marker'];
    else if (fields[0]?.startsWith('@')) continue; // unknown marker: ignore the line, like OpenSSH
    const [patterns, keyType, key] = fields;
    if (!patterns || !keyType || !key) continue; // malformed: skip rather than crash
    out.push({ line: i + 1, ...(marker ? { marker } : {}), patterns, keyType, key });
  }
  return out;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function lookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `SHA256:...` fingerprint of a key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type inside an SSH public key blob (its first length-prefixed string). */
export function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

const globs = new Map<string, GlobToken[]>();

/**
 * Every host is looked up against every line, so at fleet size this runs hosts × lines times: plain
 * names are compared as strings, and a wildcard pattern is compiled once (without a regex, which a
 * hostile `*a*a*a…` line would make backtrack for minutes).
 */
function globMatches(glob: string, name: string): boolean {
  if (!/[*?]/.test(glob)) return glob.toLowerCase() === name.toLowerCase();
  let tokens = globs.get(glob);
  if (!tokens) globs.set(glob, (tokens = compileGlob(glob, { ignoreCase: true })));
  return globMatch(tokens, name, true);
}

function hashedMatches(pattern: string, name: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return mac === hash;
}

/** Does a host-pattern field match this lookup name? A matching negated pattern vetoes the line. */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|')) return hashedMatches(patterns, name);
  let matched = false;
  for (const p of patterns.split(',')) {
    if (!p) continue;
    const negated = p.startsWith('!');
    const glob = negated ? p.slice(1) : p;
    if (globMatches(glob, name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Key types the file knows for this host, to prefer them in negotiation (as OpenSSH does). */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  const name = lookupName(host, port);
  const types = entries.filter((e) => !e.marker && patternsMatch(e.patterns, name)).map((e) => e.keyType);
  return [...new Set(types)];
}

/** Check a presented key blob for host:port against parsed entries. */
export function checkHostKey(entries: KnownHostEntry[], host: string, port: number, blob: Buffer): HostKeyVerdict {
  const key = blob.toString('base64');
  const type = blobKeyType(blob);
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key === key);
  if (revoked) return { status: 'revoked', line: revoked.line };
  const name = lookupName(host, port);
  const mine = entries.filter((e) => !e.marker && patternsMatch(e.patterns, name));
  const same = mine.find((e) => e.key === key && e.keyType === type);
  if (same) return { status: 'ok', line: same.line };
  const sameType = mine.find((e) => e.keyType === type);
  if (sameType) return { status: 'changed', line: sameType.line, knownType: type };
  // Known only with other key types: the server did not offer any key we know although we asked for
  // those first. OpenSSH would not silently learn the new type either; treat it as changed.
  const other = mine[0];
  if (other) return { status: 'changed', line: other.line, knownType: other.keyType };
  return { status: 'unknown' };
}

/** The line accept-new appends (plain, not hashed, so responders can read what was trusted). */
export function formatEntry(host: string, port: number, blob: Buffer): string {
  return `${lookupName(host, port)} ${blobKeyType(blob)} ${blob.toString('base64')}\n`;
}
