/**
 * The host's own addresses (`ip -d address show`): what tells an outbound flow from an inbound one
 * in the conntrack table. IPv4 and IPv6, every interface, loopback included.
 */
import { defineFact } from './fact.js';
import { lines, unique } from './text.js';

/** `inet 10.0.0.2/24 …` and `inet6 fe80::1/64 …` lines: the addresses without prefix length. */
export function parseAddresses(text: string): string[] {
  return unique(
    lines(text).flatMap((l) => {
      const m = /^\s+inet6?\s+([0-9a-fA-F.:]+)(?:\/\d+)?\s/.exec(`${l} `);
      return m ? [(m[1] as string).toLowerCase()] : [];
    }),
  );
}

export const addressesFact = defineFact({
  label: 'network/addresses',
  command: 'ip -d address show',
  parse: parseAddresses,
});
