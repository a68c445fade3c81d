/** `lab status`: each host's address, scenarios, faults, liveness and memory (RSS of its processes). */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { alive } from './namespace-process.js';
import type { LabState } from './state.js';

export interface HostStatus {
  name: string;
  address: string;
  running: boolean;
  scenarios: string[];
  faults: string[];
  /** Sum of VmRSS of every process in the host's PID namespace, in KiB. */
  rssKiB: number;
  processes: number;
  generation: number;
}

/** PID namespace inode → [process count, RSS KiB], over every process on the machine, in one pass. */
function usageByPidNamespace(): Map<string, [number, number]> {
  const usage = new Map<string, [number, number]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ns = readlinkSync(`/proc/${entry}/ns/pid`);
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1] ?? 0);
      const [n, kib] = usage.get(ns) ?? [0, 0];
      usage.set(ns, [n + 1, kib + rss]);
    } catch {
      /* the process ended while we looked */
    }
  }
  return usage;
}

function faultList(f: LabState['hosts'][number]['faults']): string[] {
  return [f.down ? 'down' : '', f.slowMs ? `slow ${f.slowMs}ms` : '', f.lossPct ? `flaky ${f.lossPct}%` : ''].filter(
    Boolean,
  );
}

export function labStatus(state: LabState): HostStatus[] {
  const usage = usageByPidNamespace();
  return state.hosts.map((h) => {
    const running = alive(h.initPid);
    let ns = '';
    try {
      ns = running ? readlinkSync(`/proc/${h.initPid}/ns/pid_for_children`) : '';
    } catch {
      /* gone */
    }
    const [processes, rssKiB] = usage.get(ns) ?? [0, 0];
    return {
      name: h.name,
      address: h.address,
      running,
      scenarios: h.scenarios.map((s) => s.scenario),
      faults: faultList(h.faults),
      rssKiB,
      processes,
      generation: h.generation,
    };
  });
}

export function formatStatus(state: LabState, hosts: HostStatus[]): string {
  const total = hosts.reduce((n, h) => n + h.rssKiB, 0);
  const up = hosts.filter((h) => h.running).length;
  const rows = hosts.map((h) =>
    [
      h.name.padEnd(6),
      h.address.padEnd(15),
      (h.running ? 'up' : 'DEAD').padEnd(5),
      `${(h.rssKiB / 1024).toFixed(1)} MiB`.padStart(10),
      String(h.processes).padStart(5),
      (h.scenarios.join(',') || '-').padEnd(28),
      h.faults.join(',') || '-',
    ].join('  '),
  );
  return [
    `lab ${state.id} in ${state.dir}: ${up}/${hosts.length} hosts up on ${state.network.cidr} (bridge ${state.network.bridge}, controller ${state.network.controller})`,
    `inventory: ${state.files.inventory}`,
    ['host  ', 'address'.padEnd(15), 'state', '    memory', 'procs', 'scenarios'.padEnd(28), 'faults'].join('  '),
    ...rows,
    `memory: ${(total / 1024).toFixed(1)} MiB in all, ${(total / 1024 / Math.max(1, hosts.length)).toFixed(1)} MiB per host`,
  ].join('\n');
}
