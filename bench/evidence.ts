/**
 * `npm run bench:evidence -- [--hosts 1] [--delay-ms 0] [--channels 1,4] [--runs 3]`: the triage runbook
 * (runbooks/triage.yaml: the light artifact sets, package verification, rootkit cross-checks) on drill
 * lab hosts through the real CLI, once per `--evidence-channels` value, alternating, median of `--runs`.
 * `--delay-ms` puts a TCP relay on loopback in front of every lab host that holds each chunk that long
 * in each direction (a round trip of twice that), as a host across a WAN would have: this kernel has
 * no netem, so \`lab fault slow\` cannot delay the lab's links. Prints wall time, artifacts and
 * evidence bytes per run, and each wall time as a ratio to the first channel count (the baseline: one
 * command at a time).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '1' },
    'delay-ms': { type: 'string', default: '0' },
    channels: { type: 'string', default: '1,4' },
    runs: { type: 'string', default: '3' },
  },
});
const hosts = Number(values.hosts);
const delayMs = Number(values['delay-ms']);
const channels = values.channels.split(',').map(Number);
const runs = Number(values.runs);

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number }> {
  const t = process.hrtime.bigint();
  const child = spawn(process.execPath, [join(root, 'bin/firebreak.js'), ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0 && args[0] !== 'run') throw new Error(`firebreak ${args.join(' ')}: exit ${code}\n${stderr}`);
  return { ms: Number(process.hrtime.bigint() - t) / 1e6 };
}

/** A loopback relay to `host:22` that holds every chunk `delayMs` in each direction; resolves with its port. */
async function delayRelay(host: string, delayMs: number): Promise<{ port: number; server: net.Server }> {
  const delayed = (from: net.Socket, to: net.Socket) =>
    from
      .on('data', (chunk) => setTimeout(() => to.write(chunk), delayMs))
      .on('end', () => setTimeout(() => to.end(), delayMs));
  const server = net.createServer((client) => {
    const upstream = net.connect(22, host);
    delayed(client, upstream);
    delayed(upstream, client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, server };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const tmp = mkdtempSync(join(tmpdir(), 'fb-bench-evidence-'));
const lab = join(tmp, 'lab');
// A keyring of its own: the runs' signing keys stay out of the responder's.
const env = { ...process.env, FIREBREAK_KEYRING: join(tmp, 'keyring') };
const wall = new Map<number, number[]>(channels.map((c) => [c, []]));
let evidence = '';
const relays: net.Server[] = [];
try {
  await cli(['lab', 'up', '--hosts', String(hosts), '--dir', lab, '--scenario', 'outbound-ssh-bruteforce:1'], env);
  let inventory = join(lab, 'inventory.ini');
  let knownHosts = join(lab, 'known_hosts');
  if (delayMs > 0) {
    // The same hosts through their relays: inventory and known_hosts name 127.0.0.1 and the relay's port.
    let inv = readFileSync(inventory, 'utf8');
    const known: string[] = [];
    for (const line of readFileSync(knownHosts, 'utf8').trim().split('\n')) {
      const [address, ...key] = line.split(' ');
      const { port, server } = await delayRelay(address!, delayMs);
      relays.push(server);
      inv = inv.replace(`ansible_host=${address}\n`, `ansible_host=127.0.0.1 ansible_port=${port}\n`);
      known.push(`[127.0.0.1]:${port} ${key.join(' ')}`);
    }
    knownHosts = join(tmp, 'known_hosts');
    writeFileSync(knownHosts, known.join('\n') + '\n');
    inventory = join(tmp, 'inventory.ini');
    writeFileSync(inventory, inv.replaceAll(join(lab, 'known_hosts'), knownHosts));
  }
  for (let r = 1; r <= runs; r++) {
    for (const c of channels) {
      const runsDir = join(tmp, `runs-${c}-${r}`);
      const { ms } = await cli(
        [
          'run',
          'runbooks/triage.yaml',
          '-i',
          inventory,
          '--known-hosts',
          knownHosts,
          '--evidence-channels',
          String(c),
          '--runs-dir',
          runsDir,
          '--json',
        ],
        env,
      );
      wall.get(c)!.push(ms);
      const runDir = join(runsDir, readdirSync(runsDir)[0]!);
      const manifest = JSON.parse(readFileSync(join(runDir, 'evidence', 'manifest.json'), 'utf8')) as {
        artifacts: { size: number }[];
      };
      const bytes = manifest.artifacts.reduce((s, a) => s + a.size, 0);
      evidence = `${manifest.artifacts.length} artifacts, ${(bytes / 1e6).toFixed(2)} MB for ${hosts} host(s)`;
      process.stderr.write(`run ${r} channels ${c}: ${(ms / 1000).toFixed(1)} s (${evidence})\n`);
    }
  }
} finally {
  for (const r of relays) r.close();
  try {
    await cli(['lab', 'down', '--dir', lab], env);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
const base = median(wall.get(channels[0]!)!);
console.log(`triage on ${hosts} lab host(s), ${delayMs} ms added each way, median of ${runs}; ${evidence}`);
console.log('| evidence channels | wall | ratio to ' + channels[0] + ' |');
console.log('|---|---|---|');
for (const c of channels) {
  const m = median(wall.get(c)!);
  console.log(`| ${c} | ${(m / 1000).toFixed(1)} s | ${(m / base).toFixed(2)}x |`);
}
