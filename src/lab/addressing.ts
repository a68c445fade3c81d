/**
 * Where a lab lives on the network: one /20 of 198.18.0.0/15 (RFC 2544's benchmarking range, which
 * exists here only inside the lab's namespaces and its bridge), chosen per lab so several labs can
 * run side by side. Pure: names and addresses only.
 */

/** 198.18.0.0/15 holds 32 /20 networks. */
export const LAB_NETWORKS = 32;
/** Hosts per lab: the /20 minus the controller, the attacker and a few spare addresses. */
export const MAX_LAB_HOSTS = 4000;

const BASE = (198 << 24) | (18 << 16); // 198.18.0.0

export interface LabNetwork {
  /** 0..31: which /20 of 198.18.0.0/15. */
  index: number;
  cidr: string;
  prefix: 20;
  /** The controller's address on the bridge: isolation rules allow it. */
  controller: string;
  /** The "internet" the scenarios attack from and that attacked hosts reach: not an inventory host. */
  attacker: string;
  bridge: string;
}

function ipv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

export function labNetwork(index: number): LabNetwork {
  if (!Number.isInteger(index) || index < 0 || index >= LAB_NETWORKS)
    throw new RangeError(`lab network index ${index} is not in 0..${LAB_NETWORKS - 1}`);
  const base = BASE + index * 4096;
  return {
    index,
    cidr: `${ipv4(base)}/20`,
    prefix: 20,
    controller: ipv4(base + 1),
    attacker: ipv4(base + 2),
    bridge: `fblab${index}`,
  };
}

/** Host number i (1-based) gets base + 10 + i: 198.18.0.11 for n001. */
export function hostAddress(net: LabNetwork, i: number): string {
  if (!Number.isInteger(i) || i < 1 || i > MAX_LAB_HOSTS)
    throw new RangeError(`host number ${i} is not in 1..${MAX_LAB_HOSTS}`);
  return ipv4(BASE + net.index * 4096 + 10 + i);
}

/** `n001`…`n999`, `n1000`…: at least three digits, like the examples. */
export function hostName(i: number): string {
  return `n${String(i).padStart(3, '0')}`;
}

/** The machine-side end of a host's veth pair (≤ 15 characters: the kernel's limit). */
export function vethName(net: LabNetwork, i: number | 'attacker'): string {
  return i === 'attacker' ? `fb${net.index}x` : `fb${net.index}h${i}`;
}

/** The number in `n007`, or undefined for names that are not lab host names. */
export function hostNumber(name: string): number | undefined {
  const m = /^n(\d{3,})$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * The MAC address of a host's eth0: fixed per host, so a reinstalled host (`lab reset`) keeps it and
 * the neighbours' ARP caches stay right, as with a real server's NIC.
 */
export function hostMac(net: LabNetwork, i: number | 'attacker'): string {
  const n = i === 'attacker' ? 0 : i;
  return ['02', 'fb', net.index, (n >> 8) & 255, n & 255, 1]
    .map((b) => (typeof b === 'string' ? b : b.toString(16).padStart(2, '0')))
    .join(':');
}
