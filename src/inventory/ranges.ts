/**
 * Host names with ports and ranges, as Ansible reads them: `parse_address` (split `host:port`,
 * `[v6]:port`) and `expand_hostname_range` (`www[01:50].x`, `db-[a:f]`, `n[0:10:2]`, several
 * ranges in one name). Ported from ansible/parsing/utils/addresses.py and plugins/inventory.
 */
import { LIMITS } from '../core/limits.js';

const NUMERIC_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const HEX_RANGE = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const V6 = String.raw`(?:[0-9a-f]{1,4}|${HEX_RANGE})`;
const V4 = String.raw`(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;
const LABEL = String.raw`(?:[\p{L}\p{N}_]|${ALNUM_RANGE})(?:[\p{L}\p{N}_-]|${ALNUM_RANGE})*(?<![_-])`;

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;
/** IPv4 address (ranges allowed in components). */
export const IPV4 = new RegExp(String.raw`^(?:${V4}\.){3}${V4}$`, 'i');
/** IPv6 address (ranges allowed in components). */
export const IPV6 = new RegExp(
  '^(?:' +
    [
      String.raw`(?:${V6}:){7}${V6}`,
      String.raw`(?:${V6}:){1,6}:`,
      String.raw`(?:${V6}:)(?::${V6}){1,6}`,
      String.raw`(?:${V6}:){2}(?::${V6}){1,5}`,
      String.raw`(?:${V6}:){3}(?::${V6}){1,4}`,
      String.raw`(?:${V6}:){4}(?::${V6}){1,3}`,
      String.raw`(?:${V6}:){5}(?::${V6}){1,2}`,
      String.raw`(?:${V6}:){6}(?::${V6})`,
      String.raw`:(?::${V6}){1,6}`,
      String.raw`${V6}?::`,
      String.raw`(?:0:){6}(?:${V6}\.){3}${V6}`,
      String.raw`::(?:ffff:)?(?:${V6}\.){3}${V6}`,
      String.raw`(?:0:){5}ffff:(?:${V6}\.){3}${V6}`,
    ].join('|') +
    ')$',
  'i',
);
const HOSTNAME = new RegExp(String.raw`^${LABEL}(?:\.${LABEL})*$`, 'iu');

/**
 * No address is longer: DNS names stop at 253 characters (ranges and a port add a few). Longer text is
 * not tested against the address regexes, which would overflow V8's backtracking stack on megabytes.
 */
const MAX_ADDRESS_LENGTH = 1024;

/** `host[:port]` split like Ansible's parse_address(allow_ranges=True); undefined when not an address. */
export function parseAddress(address: string): { host: string; port?: number } | undefined {
  if (address.length > MAX_ADDRESS_LENGTH) return undefined;
  let host = address;
  let port: number | undefined;
  for (const re of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = re.exec(host);
    if (m) {
      host = m[1] as string;
      port = Number(m[2]);
    }
  }
  if (IPV4.test(host) || IPV6.test(host) || HOSTNAME.test(host)) return port === undefined ? { host } : { host, port };
  return undefined;
}

/** Ansible's `_expand_hostpattern`: a host pattern → host names and an optional port for all of them. */
export function expandHostPattern(pattern: string): { hosts: string[]; port?: number } {
  const addr = parseAddress(pattern);
  const name = addr ? addr.host : pattern;
  const hosts = name.includes('[') ? expandHostnameRange(name) : [name];
  return addr?.port === undefined ? { hosts } : { hosts, port: addr.port };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Expands the first `[a:b[:step]]` range, then recurses for the rest. Throws Error with Ansible's message. */
/** The budget guards against typos like `h[0:99999999]`: Ansible has no limit, but would never finish either. */
export function expandHostnameRange(line: string, budget = { left: LIMITS.hosts }): string[] {
  const open = line.indexOf('[');
  const close = line.indexOf(']', open + 1);
  const parts = line.replace('[', '|').replace(']', '|').split('|');
  if (open < 0 || close < 0 || parts.length !== 3) throw new Error(`Invalid host range in '${line}'`);
  const [head, nrange, tail] = parts as [string, string, string];
  const bounds = nrange.split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new Error('host range must be begin:end or begin:end:step');
  const beg = bounds[0] || '0';
  const end = bounds[1] as string;
  const stepText = bounds[2] ?? '1';
  if (!end) throw new Error('host range must specify end value');
  const step = Number.parseInt(stepText, 10);
  if (!/^\s*[+-]?\d+\s*$/.test(stepText) || step === 0) throw new Error(`invalid range step '${stepText}'`);
  let fill = (x: string | number): string => String(x);
  if (beg[0] === '0' && beg.length > 1) {
    if (beg.length !== end.length) throw new Error('host range must specify equal-length begin and end formats');
    fill = (x) => String(x).padStart(beg.length, '0');
  }
  let seq: (string | number)[] = [];
  const ib = beg.length === 1 ? LETTERS.indexOf(beg) : -1;
  const ie = end.length === 1 ? LETTERS.indexOf(end) : -1;
  if (ib >= 0 && ie >= 0) {
    if (ib > ie) throw new Error('host range must have begin <= end');
    // A negative step gives an empty slice in Python, so no hosts.
    if (step > 0) for (let i = ib; i <= ie; i += step) seq.push(LETTERS[i] as string);
  } else {
    if (!/^\s*[+-]?\d+\s*$/.test(beg) || !/^\s*[+-]?\d+\s*$/.test(end)) {
      throw new Error(`invalid literal for int() with base 10: '${/^\s*[+-]?\d+\s*$/.test(beg) ? end : beg}'`);
    }
    const b = Number.parseInt(beg, 10);
    const e = Number.parseInt(end, 10);
    if (step > 0 && (e - b) / step > budget.left)
      throw new Error(
        `host range [${nrange}] is too large (more than ${LIMITS.hosts} hosts; FIREBREAK_MAX_HOSTS raises the limit)`,
      );
    seq = [];
    if (step > 0) for (let i = b; i <= e; i += step) seq.push(i);
  }
  const out: string[] = [];
  for (const r of seq) {
    const name = head + fill(r) + tail;
    // A loop, not push(...): spreading 100,000 names as arguments overflows the stack.
    if (name.includes('[')) for (const h of expandHostnameRange(name, budget)) out.push(h);
    else out.push(name);
    if (--budget.left < 0) throw new Error('host range expands to too many hosts');
  }
  return out;
}
