/**
 * `npm run bench -- --hosts 50 [--runs 3]`: start a loopback fleet of real sshd processes, then run the
 * triage workload through firebreak and through the bare-ssh2 floor (and ansible-playbook / parallel-ssh
 * when installed), alternating, and print wall time, controller CPU, peak RSS and each tool's ratio to the floor.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startFleet, type Fleet } from '../src/lab/loopback-fleet.js';
import { TRIAGE_COMMANDS } from './workload.mjs';

interface Measure {
  wallMs: number;
  cpuMs?: number;
  maxRssMb?: number;
}

const root = resolve(import.meta.dirname, '..');
const probe = join(root, 'bench', 'usage-probe.mjs');

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Run a command to completion; a non-zero exit fails the bench (a broken run is not a measurement). */
function measure(cmd: string, args: string[], env: Record<string, string> = {}, tmp: string): Promise<Measure> {
  const usageFile = join(tmp, `usage-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const started = process.hrtime.bigint();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: root,
      env: { ...process.env, ...env, FIREBREAK_BENCH_USAGE: usageFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${stderr.slice(-2000)}`));
      let usage: { cpuMs?: number; maxRssKb?: number } = {};
      try {
        usage = JSON.parse(readFileSync(usageFile, 'utf8')) as typeof usage;
      } catch {
        // Tools we do not preload (ansible, pssh) report wall time only.
      }
      resolvePromise({
        wallMs,
        cpuMs: usage.cpuMs,
        maxRssMb: usage.maxRssKb !== undefined ? usage.maxRssKb / 1024 : undefined,
      });
    });
  });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function summarize(runs: Measure[]): Measure {
  const pick = (f: (m: Measure) => number | undefined): number | undefined => {
    const v = runs.map(f).filter((x): x is number => x !== undefined);
    return v.length ? median(v) : undefined;
  };
  return { wallMs: median(runs.map((r) => r.wallMs)), cpuMs: pick((r) => r.cpuMs), maxRssMb: pick((r) => r.maxRssMb) };
}

function tools(fleet: Fleet, tmp: string, forks: number): Record<string, () => Promise<Measure>> {
  const hostsJson = join(tmp, 'hosts.json');
  writeFileSync(
    hostsJson,
    JSON.stringify(
      fleet.hosts.map((h) => ({ address: h.address, port: h.port, user: 'root', privateKeyFile: fleet.clientKeyPath })),
    ),
  );
  const firebreak =
    (...extra: string[]) =>
    () =>
      measure(
        process.execPath,
        [
          '--import',
          probe,
          'bin/firebreak.js',
          'run',
          'bench/workload.yaml',
          '-i',
          fleet.inventoryPath,
          '--known-hosts',
          fleet.knownHostsPath,
          '--forks',
          String(forks),
          '--runs-dir',
          join(tmp, 'runs'),
          ...extra,
        ],
        { CI: '1' },
        tmp,
      );
  const list: Record<string, () => Promise<Measure>> = {
    floor: () => measure(process.execPath, ['--import', probe, 'bench/floor.mjs', hostsJson], {}, tmp),
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
    },
  });
  const hostCount = Number(values.hosts);
  const runs = Math.max(1, Number(values.runs));
  const tmp = mkdtempSync(join(tmpdir(), 'firebreak-bench-'));
  const fleet = await startFleet({ hosts: hostCount });
  try {
    // `--only floor,firebreak`: skip the slow comparison tools (e.g. for multi-run medians at 100 hosts).
    const only = values.only?.split(',');
    const table = Object.fromEntries(
      Object.entries(tools(fleet, tmp, hostCount)).filter(([name]) => !only || only.includes(name)),
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
  } finally {
    await fleet.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
