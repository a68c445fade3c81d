/**
 * `npm run bench -- --hosts 50 [--runs 3]`: start a loopback fleet of real sshd processes, then run the
 * triage workload through firebreak and through the bare-ssh2 floor (and ansible-playbook / parallel-ssh
 * when installed), alternating, and print wall time, controller CPU, peak RSS and each tool's ratio to the floor.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Fleet } from '../src/lab/loopback-fleet.js';
import {
  connectTimeoutArgs,
  firebreakRun,
  floorRunner,
  has,
  measure,
  summarize,
  withFleet,
  type Measure,
} from './harness.js';
import { TRIAGE_COMMANDS } from './workload.mjs';

function tools(
  fleet: Fleet,
  tmp: string,
  forks: number,
  connectTimeoutSec?: number,
): Record<string, () => Promise<Measure>> {
  const firebreak =
    (...extra: string[]) =>
    () =>
      firebreakRun(fleet, tmp, { forks, extra: [...connectTimeoutArgs(connectTimeoutSec), ...extra] });
  const list: Record<string, () => Promise<Measure>> = {
    floor: floorRunner(fleet, tmp, connectTimeoutSec),
    firebreak: firebreak(),
    // The same run through the system OpenSSH client (one ControlMaster per host): its cost per command.
    'firebreak-openssh': firebreak('--transport', 'openssh'),
  };
  if (has('ansible-playbook')) {
    const play = join(tmp, 'triage-play.yml');
    const tasks = TRIAGE_COMMANDS.map((c) => `    - shell: ${JSON.stringify(c)}\n      changed_when: false`).join('\n');
    writeFileSync(play, `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}\n`);
    list['ansible-playbook'] = () =>
      measure(
        'ansible-playbook',
        ['-i', fleet.inventoryPath, '-f', String(forks), play],
        {
          ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${fleet.knownHostsPath} -o ControlMaster=auto -o ControlPersist=60s`,
          ANSIBLE_LOCALHOST_WARNING: 'False',
          HOME: tmp,
        },
        tmp,
      );
  }
  const pssh = ['parallel-ssh', 'pssh'].find(has);
  if (pssh) {
    const hostFile = join(tmp, 'pssh-hosts');
    writeFileSync(hostFile, fleet.hosts.map((h) => `root@${h.address}:${h.port}`).join('\n') + '\n');
    list[pssh] = async () => {
      const started = Date.now();
      for (const command of TRIAGE_COMMANDS) {
        await measure(
          pssh,
          [
            '-h',
            hostFile,
            '-p',
            String(forks),
            '-x',
            `-i ${fleet.clientKeyPath} -o UserKnownHostsFile=${fleet.knownHostsPath}`,
            command,
          ],
          {},
          tmp,
        );
      }
      return { wallMs: Date.now() - started };
    };
  }
  return list;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      hosts: { type: 'string', default: '50' },
      runs: { type: 'string', default: '3' },
      only: { type: 'string' },
      // Seconds a connection may take to be ready, for the floor and firebreak (their defaults: 30 s, 10 s).
      'connect-timeout': { type: 'string' },
    },
  });
  const hostCount = Number(values.hosts);
  const runs = Math.max(1, Number(values.runs));
  const connectTimeoutSec = values['connect-timeout'] ? Number(values['connect-timeout']) : undefined;
  await withFleet('firebreak-bench', hostCount, async (fleet, tmp) => {
    // `--only floor,firebreak`: skip the slow comparison tools (e.g. for multi-run medians at 100 hosts).
    const only = values.only?.split(',');
    const table = Object.fromEntries(
      Object.entries(tools(fleet, tmp, hostCount, connectTimeoutSec)).filter(([name]) => !only || only.includes(name)),
    );
    const results: Record<string, Measure[]> = {};
    for (let i = 0; i < runs; i++) {
      for (const [name, run] of Object.entries(table)) (results[name] ??= []).push(await run());
    }
    const floor = summarize(results['floor'] ?? []);
    console.log(
      `triage workload, ${hostCount} hosts, ${runs} runs each (median), machine: ${execFileSync('nproc').toString().trim()} cores`,
    );
    console.log('tool               wall ms   cpu ms  peak RSS MB  wall / floor');
    for (const [name, list] of Object.entries(results)) {
      const m = summarize(list);
      const cells = [
        name.padEnd(16),
        m.wallMs.toFixed(0).padStart(9),
        (m.cpuMs?.toFixed(0) ?? '-').padStart(8),
        (m.maxRssMb?.toFixed(1) ?? '-').padStart(12),
        `${(m.wallMs / floor.wallMs).toFixed(2)}x`.padStart(13),
      ];
      console.log(cells.join(' '));
    }
  });
}

await main();
