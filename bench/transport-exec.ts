/**
 * `tsx bench/transport-exec.ts [--count 200] [--rounds 3]`: the cost of one `exec('true')` over the
 * ssh2 transport and over the OpenSSH transport (one ControlMaster, one `ssh -S` client per command),
 * on one loopback sshd, commands in sequence. Rounds alternate between the transports; prints the
 * median per-command wall time and controller CPU (this process plus its ssh children) and the ratio.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Transport } from '../src/core/transport.js';
import { createSshTransport, OpenSshTransport } from '../src/transport/index.js';
import { startFleet } from '../src/lab/loopback-fleet.js';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '200' }, rounds: { type: 'string', default: '3' } },
});
const count = Math.min(5000, Number(values.count));
const rounds = Math.min(20, Number(values.rounds));

/** CPU ms of reaped child processes (the ssh clients), from /proc/self/stat cutime + cstime (clock ticks of 10 ms). */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

const fleet = await startFleet({ hosts: 1 });
const controlDir = mkdtempSync(join(tmpdir(), 'fb-bench-'));
try {
  const h = fleet.hosts[0]!;
  const make: Record<string, () => Transport> = {
    ssh2: () =>
      createSshTransport(
        { name: h.name, address: h.address, port: h.port, user: 'root', privateKeyFile: fleet.clientKeyPath },
        { knownHostsFile: fleet.knownHostsPath, agent: false },
      ),
    openssh: () =>
      new OpenSshTransport(
        {
          name: h.name,
          destination: h.address,
          args: ['-F', '/dev/null', '-p', String(h.port), '-l', 'root', '-i', fleet.clientKeyPath],
        },
        { knownHostsFiles: [fleet.knownHostsPath], acceptNew: false, controlDir },
      ),
  };
  const results: Record<string, { wall: number[]; cpu: number[]; kids: number[] }> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, mk] of Object.entries(make)) {
      const t = mk();
      await t.connect();
      await t.exec('true', { timeoutMs: 10_000 }); // warm
      const cpu0 = process.cpuUsage();
      const kids0 = childrenCpuMs();
      const t0 = performance.now();
      for (let i = 0; i < count; i++) {
        const r = await t.exec('true', { timeoutMs: 10_000 });
        if (r.code !== 0) throw new Error(`${name}: exec failed: ${r.stderr}`);
      }
      const wall = (performance.now() - t0) / count;
      const own = process.cpuUsage(cpu0);
      const kids = childrenCpuMs() - kids0;
      await t.close();
      const r = (results[name] ??= { wall: [], cpu: [], kids: [] });
      r.wall.push(wall);
      r.cpu.push((own.user + own.system) / 1000 / count);
      r.kids.push(kids / count);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  for (const [name, r] of Object.entries(results))
    console.log(
      `${name.padEnd(8)} ${median(r.wall).toFixed(2)} ms/exec wall, ${median(r.cpu).toFixed(2)} ms/exec node CPU, ${median(r.kids).toFixed(2)} ms/exec ssh client CPU (median of ${rounds} x ${count})`,
    );
  const ratio = median(results.openssh!.wall) / median(results.ssh2!.wall);
  console.log(`openssh / ssh2 wall time per exec: ${ratio.toFixed(2)}x`);
} finally {
  await fleet.stop();
  rmSync(controlDir, { recursive: true, force: true });
}
