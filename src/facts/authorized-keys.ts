/**
 * `authorized_keys` of every account: attackers add a key to keep their way in after the password
 * is changed. Each entry is parsed (options, key type, key, comment) and fingerprinted the way
 * `ssh-keygen -l` does (`SHA256:` + unpadded base64 of the SHA-256 of the key blob), so a finding
 * can be matched against the key the responder knows.
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../core/index.js';
import { passwdFact, type PasswdEntry } from './accounts.js';
import { defineFact } from './fact.js';
import { finding, sections } from './text.js';

/** Every home in /etc/passwd (names with spaces included), its two authorized_keys files, with headers. */
const AUTHORIZED_KEYS_COMMAND =
  `awk -F: '$6 ~ /^\\// {print $6}' /etc/passwd | sort -u | while IFS= read -r h; do ` +
  `for f in "$h/.ssh/authorized_keys" "$h/.ssh/authorized_keys2"; do [ -f "$f" ] || continue; ` +
  `printf '==> %s <==\\n' "$f"; cat -- "$f"; echo; done; done 2>/dev/null`;

export interface AuthorizedKey {
  file: string;
  line: number;
  /** The account, from the path (`/root/…`, `/home/NAME/…`); refined from /etc/passwd by the findings. */
  user?: string;
  /** `from="10.0.0.0/8",no-pty` as written, or empty. */
  options: string;
  type: string;
  /** The base64 key blob. */
  key: string;
  /** `SHA256:…` like `ssh-keygen -lf`; undefined when the blob is not valid base64. */
  fingerprint?: string;
  comment: string;
  /** The blob decodes whole and names the same key type as the line (a cut or pasted-over key is not valid). */
  valid: boolean;
}

const KEY_TYPE =
  /^(?:ssh-(?:rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp(?:256|384|521)|sk-[a-z0-9-]+@openssh\.com|[a-z0-9-]+-cert-v01@openssh\.com)$/;

/** Split off the options field: everything up to the first whitespace outside double quotes. */
function splitOptions(line: string): [string, string] {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ' ' || c === '\t')) return [line.slice(0, i), line.slice(i).trimStart()];
  }
  return [line, ''];
}

/** ssh-keygen's fingerprint of a base64 key blob, and whether the blob names `type`. */
export function keyFingerprint(type: string, base64: string): { fingerprint?: string; valid: boolean } {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return { valid: false };
  const blob = Buffer.from(base64, 'base64');
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  const fields = stringFields(blob);
  const named = fields?.[0]?.toString('latin1') ?? '';
  // certificates carry integers between their strings; plain keys are strings only, to the last byte
  const whole = fields !== undefined || type.includes('-cert-');
  return {
    fingerprint,
    valid:
      whole &&
      (named === type || (type.includes('-cert-') && blob.subarray(4, 4 + type.length).toString('latin1') === type)),
  };
}

/** A key blob as SSH `string` fields (uint32 length + bytes) that use up every byte; undefined when it is cut or padded. */
function stringFields(blob: Buffer): Buffer[] | undefined {
  const out: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) return undefined;
    const len = blob.readUInt32BE(at);
    if (at + 4 + len > blob.length) return undefined;
    out.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out.length ? out : undefined;
}

function userFromPath(path: string): string | undefined {
  if (path.startsWith('/root/')) return 'root';
  return /^\/home\/([^/]+)\//.exec(path)?.[1];
}

export function parseAuthorizedKeys(text: string): AuthorizedKey[] {
  const out: AuthorizedKey[] = [];
  for (const s of sections(text)) {
    s.lines.forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      let options = '';
      let rest = line;
      if (!KEY_TYPE.test(line.split(/\s+/)[0] as string)) [options, rest] = splitOptions(line);
      const [type, key, ...comment] = rest.split(/\s+/);
      if (!type || !key || !KEY_TYPE.test(type)) return;
      const entry: AuthorizedKey = {
        file: s.path,
        line: i + 1,
        options,
        type,
        key,
        comment: comment.join(' '),
        ...keyFingerprint(type, key),
      };
      const user = userFromPath(s.path);
      if (user) entry.user = user;
      out.push(entry);
    });
  }
  return out;
}

/** The account whose home holds `file` (the longest matching home; `/` and empty homes never match). */
function ownerOf(file: string, passwd: readonly PasswdEntry[] = []): string | undefined {
  const homes = passwd
    .map((p) => ({ user: p.user, home: p.home.replace(/\/+$/, '') }))
    .filter((p) => p.home !== '' && file.startsWith(`${p.home}/`));
  return homes.sort((a, b) => b.home.length - a.home.length)[0]?.user;
}

/** One finding per key; root's keys are `low` (they open the whole host), others `info`. */
export function authorizedKeyFindings(
  host: string,
  keys: readonly AuthorizedKey[],
  options: { passwd?: readonly PasswdEntry[] } = {},
): Finding[] {
  return keys.map((k) => {
    const owner = ownerOf(k.file, options.passwd) ?? k.user;
    const alsoIn = keys.filter((o) => o !== k && o.key === k.key).map((o) => o.file);
    const detail: Finding['detail'] = {
      file: k.file,
      line: k.line,
      type: k.type,
      options: k.options,
      comment: k.comment,
      valid: k.valid,
      alsoIn,
    };
    if (owner) detail.user = owner;
    if (k.fingerprint) detail.fingerprint = k.fingerprint;
    const summary = `${owner ?? k.file}: ${k.type} ${k.fingerprint ?? '(invalid key)'}${k.comment ? ` ${k.comment}` : ''}${k.options ? ` [${k.options}]` : ''}`;
    return finding(host, 'ssh.authorized_key', owner === 'root' ? 'low' : 'info', summary, detail);
  });
}

/** Keys named by the account whose home holds them (from /etc/passwd when it was collected). */
export const authorizedKeysFact = defineFact<AuthorizedKey[], { passwd: PasswdEntry[] }>({
  label: 'persistence/authorized_keys',
  command: AUTHORIZED_KEYS_COMMAND,
  parse: parseAuthorizedKeys,
  needs: { passwd: passwdFact },
  findings: (host, keys, { passwd }) => authorizedKeyFindings(host, keys, { passwd: passwd ?? [] }),
});
