/**
 * A failure reason with the host's own name taken out, so hosts that failed the same way share one
 * reason and can be shown as one group (`web02: connect refused` and `web07: connect refused` alike).
 */

/** The first line of `message`, without a leading `host: ` and with other mentions of the host as `<host>`. */
export function sharedReason(host: string, message: string | undefined): string {
  const first = (message ?? '').split('\n')[0]!;
  const rest = first.startsWith(`${host}: `) ? first.slice(host.length + 2) : first;
  // Whole-name matches only: host `a` must not eat every letter a, nor `web1` the start of `web10`.
  const mention = new RegExp(`(?<![\\w.-])${escapeRegExp(host)}(?![\\w-]|\\.\\w)`, 'g');
  return host ? rest.replace(mention, '<host>') : rest;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
