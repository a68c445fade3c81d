import { strict as assert } from 'node:assert';
import type { HostState } from '../../src/core/index.js';
import { compressHosts, compressHostsWithin, fleetLines, sharedReason, type HostRow } from '../../src/render/index.js';

const T0 = Date.UTC(2024, 0, 31, 10, 15, 0);
const name = (i: number): string => `web${String(i + 1).padStart(4, '0')}`;

/** 1,000 hosts: most ok, some still running (started at different times), failures with `reasons` distinct reasons. */
function fleet(n: number, reasons: number): HostRow[] {
  return Array.from({ length: n }, (_, i): HostRow => {
    const host = name(i);
    if (i % 25 === 3) return { host, state: 'running', step: i % 2 ? 'ss -tnp' : 'hostname', startedMs: T0 + i };
    if (i % 33 === 7)
      return { host, state: 'failed', message: `${host}: reason ${i % reasons}\n  detail`, startedMs: T0, endedMs: T0 };
    if (i % 97 === 5) return { host, state: 'unreachable', message: `${host}: connect timed out` };
    return { host, state: i > 900 ? 'pending' : 'ok', startedMs: T0, endedMs: T0 + 1 };
  });
}

/** The total the view accounts for: hosts named on a line (by list length in parentheses) plus "… and N more". */
function stateTotal(rows: readonly HostRow[]): Map<HostState, number> {
  const m = new Map<HostState, number>();
  for (const r of rows) m.set(r.state, (m.get(r.state) ?? 0) + 1);
  return m;
}

describe('fleet view (a big phase in the live TTY view)', () => {
  it('stays within a fixed number of short lines at 1,000 hosts', () => {
    const rows = fleet(1000, 40);
    const lines = fleetLines(rows, T0 + 60_000);
    // 1 step line + 5 running + 5 failure groups + 1 line of other failures + 1 summary.
    assert.ok(lines.length <= 13, lines.join('\n'));
    for (const l of lines) assert.ok(l.length <= 130, l);
    assert.equal(lines[0], 'running "ss -tnp": 20 · "hostname": 20');
    // Longest-running first: the earliest started.
    assert.match(lines[1]!, /^web0004 {2}running {5}ss -tnp 60\.0s$/);
    assert.match(lines.at(-2)!, /^✖ … and \d+ more host\(s\), \d+ other reason\(s\): web\[/);
    assert.match(lines.at(-1)!, /^… and \d+ more: \d+ ok, 35 running, \d+ pending$/);
  });

  it('names every host exactly once across its lines: listed, in a failure line, or counted in the rest', () => {
    const rows = fleet(1000, 3);
    const lines = fleetLines(rows, T0, { maxRunningListed: 4 });
    const failed = stateTotal(rows).get('failed')! + stateTotal(rows).get('unreachable')!;
    const inGroups = lines
      .filter((l) => l.startsWith('✖'))
      .reduce((sum, l) => sum + Number(/\((\d+)\):/.exec(l)?.[1] ?? 1), 0);
    const rest = Number(/^… and (\d+) more/.exec(lines.at(-1)!)![1]);
    assert.equal(inGroups, failed);
    assert.equal(4 + inGroups + rest, 1000);
  });

  it('groups failures whose reasons differ only by the host name', () => {
    const rows: HostRow[] = ['a1', 'a2', 'a3'].map((host) => ({
      host,
      state: 'failed',
      message: `${host}: disk of ${host} full`,
    }));
    assert.deepEqual(fleetLines(rows, T0), ['✖ a[1-3] failed (3): disk of <host> full']);
  });
});

describe('shared failure reason', () => {
  it('drops the leading host name and replaces whole-name mentions only', () => {
    assert.equal(sharedReason('web1', 'web1: `x` exited with code 2\n  more'), '`x` exited with code 2');
    assert.equal(
      sharedReason('web1', 'host key of web1 differs from web10 and web1.example'),
      'host key of <host> differs from web10 and web1.example',
    );
    assert.equal(sharedReason('a', 'a: bad data at a.'), 'bad data at <host>.');
    assert.equal(sharedReason('h', undefined), '');
  });
});

describe('host list cut to a width', () => {
  it('keeps short lists whole and cuts long ones after a whole entry, closing the bracket', () => {
    const hosts = Array.from({ length: 50 }, (_, i) => name(i * 2));
    assert.equal(compressHostsWithin(hosts.slice(0, 3), 60), compressHosts(hosts.slice(0, 3)));
    const cut = compressHostsWithin(hosts, 40);
    assert.ok(cut.length <= 40, cut);
    assert.equal(cut, 'web[0001,0003,0005,0007,0009,0011,…]');
    assert.equal(compressHostsWithin(['alpha', 'beta', 'gamma'], 13), 'alpha,beta,…');
  });
});
