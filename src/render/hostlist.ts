/**
 * Compress host lists the way pdsh/dshbak do: `web01,web02,web03,web05` → `web[01-03,05]`.
 * Only the simple case is compressed: names that differ in one trailing number of the same width.
 */

const NUMBERED = /^(.*?)(\d+)(\D*)$/;

/** Compress names into a comma-separated hostlist, groups in order of first appearance. */
export function compressHosts(names: readonly string[]): string {
  const groups = new Map<string, { prefix: string; suffix: string; nums: string[] }>();
  const order: Array<string | { key: string }> = [];
  for (const name of names) {
    const m = NUMBERED.exec(name);
    if (!m) {
      order.push(name);
      continue;
    }
    const [, prefix = '', digits = '', suffix = ''] = m;
    const key = `${prefix}\u0000${digits.length}\u0000${suffix}`;
    let g = groups.get(key);
    if (!g) {
      g = { prefix, suffix, nums: [] };
      groups.set(key, g);
      order.push({ key });
    }
    if (!g.nums.includes(digits)) g.nums.push(digits);
  }
  return order
    .map((item) => {
      if (typeof item === 'string') return item;
      const g = groups.get(item.key)!;
      if (g.nums.length === 1) return `${g.prefix}${g.nums[0]}${g.suffix}`;
      return `${g.prefix}[${ranges(g.nums)}]${g.suffix}`;
    })
    .join(',');
}

/** `["01","02","03","05"]` → `01-03,05` (same-width numbers, sorted). */
function ranges(nums: string[]): string {
  const sorted = [...nums].sort((a, b) => Number(a) - Number(b));
  const out: string[] = [];
  let start = sorted[0]!;
  let prev = start;
  for (const n of [...sorted.slice(1), undefined]) {
    if (n !== undefined && Number(n) === Number(prev) + 1) {
      prev = n;
      continue;
    }
    out.push(start === prev ? start : `${start}-${prev}`);
    if (n !== undefined) start = prev = n;
  }
  return out.join(',');
}

/**
 * `compressHosts`, cut to about `maxChars` for a live view where a line must not wrap:
 * `web[0008,0039,…]`. The cut falls after a whole name or number, and an open bracket is closed.
 */
export function compressHostsWithin(names: readonly string[], maxChars: number): string {
  const full = compressHosts(names);
  if (full.length <= maxChars) return full;
  const cut = full.lastIndexOf(',', maxChars - 3);
  const head = cut > 0 ? full.slice(0, cut + 1) : '';
  const open = head.lastIndexOf('[') > head.lastIndexOf(']');
  return `${head}…${open ? ']' : ''}`;
}
