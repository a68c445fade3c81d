/**
 * Params shared by the network steps (isolate, unisolate, harden): addresses and CIDRs, the
 * management channel, allow-list entries, the state id. Addresses are validated strictly, so by the
 * time one reaches a shell or an nft file it is plain `[0-9a-f.:/]` text (and still goes through quote()).
 */
import { isIP } from 'node:net';
import { z } from 'zod';

/** A runbook may write `{{params.x}}` here: checked for real once rendered (the planner re-validates). */
const isTemplate = (s: string) => s.includes('{{');

/** 4 or 6 for an address or CIDR (`10.0.0.0/8`, `2001:db8::/32`), 0 when invalid. */
export function cidrFamily(value: string): 0 | 4 | 6 {
  const [addr, prefix, extra] = value.split('/');
  if (extra !== undefined || addr === undefined) return 0;
  const fam = isIP(addr);
  if (fam === 0) return 0;
  if (prefix === undefined) return fam as 4 | 6;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > (fam === 4 ? 32 : 128)) return 0;
  return fam as 4 | 6;
}

export const cidrSchema = z
  .string()
  .refine(
    (s) => cidrFamily(s) !== 0 || isTemplate(s),
    'expected an IPv4/IPv6 address or CIDR, e.g. 10.0.0.53 or 192.0.2.0/24',
  )
  .describe('IPv4/IPv6 address or CIDR');

/** An address, or '' for "not given" (so a runbook param can default to empty). */
export const optionalAddress = z
  .string()
  .refine((s) => s === '' || isIP(s) !== 0 || isTemplate(s), 'expected an IPv4 or IPv6 address (or empty)');

export const portSchema = z.number().int().min(1).max(65535);

export const managementSchema = z
  .strictObject({
    address: optionalAddress
      .optional()
      .describe("The responder's address (default: the peer of the live SSH connection)"),
    port: portSchema.optional().describe('The SSH port to keep open (default: the live connection’s local port)'),
  })
  .default({})
  .describe('The management channel to keep: detected on the host from the live SSH connection unless given');

export type Management = z.output<typeof managementSchema>;

export const PROTOS = ['tcp', 'udp', 'icmp', 'any'] as const;

/** One allow-list entry: traffic to (outbound) or from (inbound) a CIDR, optionally one port/protocol. */
export const allowEntrySchema = z
  .strictObject({
    to: cidrSchema.optional().describe('Allow the host to reach this CIDR (replies come back)'),
    from: cidrSchema.optional().describe('Allow this CIDR to reach the host (replies go back)'),
    port: portSchema.optional().describe('Destination port (of `to`, or on the host for `from`)'),
    proto: z.enum(PROTOS).optional().describe('tcp | udp | icmp | any (default: tcp and udp with a port, else any)'),
  })
  .superRefine((v, ctx) => {
    if ((v.to === undefined) === (v.from === undefined))
      ctx.addIssue({ code: 'custom', message: 'an allow entry needs exactly one of to, from' });
    if (v.port !== undefined && (v.proto === 'icmp' || v.proto === 'any'))
      ctx.addIssue({ code: 'custom', path: ['port'], message: `a port needs proto tcp or udp (got ${v.proto})` });
  });

export type AllowEntry = z.output<typeof allowEntrySchema>;

/** Names a state directory under /var/lib/firebreak/<step>/: isolate and unisolate must agree on it. */
export const stateIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, 'an id is letters, digits, _ . - (at most 64)')
  .default('default')
  .describe('State id: /var/lib/firebreak/<step>/<id> on the host; unisolate uses the same id');

export const backendSchema = z
  .enum(['auto', 'nft', 'iptables'])
  .default('auto')
  .describe('Firewall backend: auto (nft when iptables is the nf_tables variant or absent, else iptables)');

export const deadmanSchema = z
  .number()
  .int()
  .min(3)
  .max(3600)
  .default(120)
  .describe(
    'Seconds after which the host restores its previous state unless the change was confirmed by a fresh SSH connection',
  );

/** Where a step keeps its state on the host (root-only). */
export function stateDir(step: 'isolate' | 'harden', id: string): string {
  return `/var/lib/firebreak/${step}/${id}`;
}
