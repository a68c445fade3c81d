import { strict as assert } from 'node:assert';
import type { HostRecap } from '../../src/core/index.js';
import { formatHostRecap, formatRecap } from '../../src/render/index.js';

const row = (host: string, over: Partial<HostRecap> = {}): HostRecap => ({
  host,
  state: 'ok',
  ok: 5,
  changed: 0,
  failed: 0,
  skipped: 0,
  ignored: 0,
  unreachable: false,
  ...over,
});
const failed = (host: string): HostRecap =>
  row(host, { state: 'failed', ok: 4, failed: 1, message: `${host}: \`ss -tnp\` exited with code 1\n    denied` });
const unreachable = (host: string): HostRecap =>
  row(host, { state: 'unreachable', ok: 0, unreachable: true, message: `${host}: connect timed out` });

/** Expand a compressed host list (`a[01-03,05],b`) back into names: the inverse the recap promises. */
function expandHosts(list: string): string[] {
  const out: string[] = [];
  for (const item of list.match(/[^,[]+(\[[^\]]*\][^,]*)?/g) ?? []) {
    const m = /^(.*)\[(.*)\](.*)$/.exec(item);
    if (!m) {
      out.push(item);
      continue;
    }
    const [, prefix, ranges, suffix] = m as unknown as [string, string, string, string];
    for (const r of ranges.split(',')) {
      const [a, b = a] = r.split('-') as [string, string?];
      for (let n = Number(a); n <= Number(b); n++) out.push(`${prefix}${String(n).padStart(a.length, '0')}${suffix}`);
    }
  }
  return out;
}

const hostCell = (line: string): string => line.split(/\s{2,}/)[0]!;

describe('recap host table, grouped above 20 hosts', () => {
  const hosts = Array.from({ length: 1000 }, (_, i) => `web${String(i + 1).padStart(4, '0')}`);
  const fleet = hosts.map((h, i) => (i % 31 === 7 ? failed(h) : i % 97 === 5 ? unreachable(h) : row(h)));

  it('prints 1,000 hosts with 3 outcomes as 3 rows, failures first, each host in exactly one list', () => {
    const lines = formatHostRecap(fleet);
    assert.equal(lines.length, 3);
    assert.match(
      lines[0]!,
      /^web\[0008,0039,.*,1000\] {2}failed \(33 hosts\)  +ok=4 changed=0 failed=1 .* {2}`ss -tnp` exited with code 1$/,
    );
    assert.match(
      lines[1]!,
      /^web\[0006,0103,.*\] {2}unreachable \(11 hosts\) {2}ok=0 .* unreachable=1 .* {2}connect timed out$/,
    );
    assert.match(lines[2]!, /^web\[0001-0005,0007,0009-0038,.*\] {2}ok \(956 hosts\) +ok=5 /);
    const listed = lines.map((l) => expandHosts(hostCell(l)));
    assert.deepEqual(
      listed.map((l) => l.length),
      [33, 11, 956],
    );
    assert.deepEqual(listed.flat().sort(), [...hosts].sort());
    for (const [i, list] of listed.entries()) {
      const state = ['failed', 'unreachable', 'ok'][i];
      for (const h of list) assert.equal(fleet.find((r) => r.host === h)!.state, state, h);
    }
  });

  it('keeps apart hosts with the same state but other counts or another reason; a group of one is a plain row', () => {
    const rows = [
      ...Array.from({ length: 20 }, (_, i) => row(`n${i + 10}`)),
      row('n30', { changed: 1 }),
      failed('n31'),
      failed('n32'),
      row('n33', { state: 'failed', ok: 4, failed: 1, message: 'n33: disk full' }),
    ];
    assert.deepEqual(formatHostRecap(rows), [
      'n[31-32]  failed (2 hosts)  ok=4 changed=0 failed=1 unreachable=0 skipped=0 ignored=0  `ss -tnp` exited with code 1',
      'n33       failed            ok=4 changed=0 failed=1 unreachable=0 skipped=0 ignored=0  n33: disk full',
      'n[10-29]  ok (20 hosts)     ok=5 changed=0 failed=0 unreachable=0 skipped=0 ignored=0',
      'n30       ok                ok=5 changed=1 failed=0 unreachable=0 skipped=0 ignored=0',
    ]);
  });

  it('lists names that do not compress one by one, still all of them', () => {
    const names = Array.from({ length: 25 }, (_, i) => `db-${String.fromCharCode(97 + i)}`).concat(['n9', 'n10']);
    const [line] = formatHostRecap(names.map((h) => row(h)));
    assert.equal(hostCell(line!), names.join(','));
    assert.match(line!, /ok \(27 hosts\)/);
    assert.deepEqual(expandHosts(hostCell(line!)), names);
  });

  it('leaves 20 hosts or fewer one row per host, as before', () => {
    const lines = formatHostRecap(fleet.slice(0, 20));
    assert.equal(lines.length, 20);
    assert.equal(
      lines[0],
      'web0008  failed       ok=4 changed=0 failed=1 unreachable=0 skipped=0 ignored=0  web0008: `ss -tnp` exited with code 1',
    );
    assert.equal(formatHostRecap(fleet.slice(0, 21), { groupAbove: 100 }).length, 21);
  });

  it('is what formatRecap prints, the totals line unchanged', () => {
    const text = formatRecap({ recap: fleet, outputs: [], exitCode: 3 });
    assert.equal(text.split('\n').length, 1 + 3 + 2 + 1);
    assert.match(text, /\n1000 host\(s\): 956 ok, 33 failed, 11 unreachable, 0 aborted; exit code 3\n/);
  });
});
