/**
 * `npm run bench:distributed -- --hosts 200 [--runs 1] [--worker-forks N]`: the triage workload
 * (bench/workload.yaml) over a loopback fleet of real sshd hosts, three ways in one invocation, alternating:
 *
 * - **floor**: bench/floor.mjs, bare ssh2, one connection per host, all at once;
 * - **single**: one controller alone, `firebreak run` without `--nats`, `--forks` = host count;
 * - **distributed**: a real nats-server hub (JetStream, file store in a temp dir, per-segment users as in
 *   test/integration/run-nats.test.ts) and 2 leaf nodes (segments a and b), one `firebreak worker` per
 *   segment on its leaf (`--nats-domain` = the hub's, `--forks` = the segment's host count unless
 *   `--worker-forks`), the hosts split half/half by `firebreak_segment`, the controller
 *   `firebreak run --nats <hub>` with `--forks` = host count.
 *
 * Per mode: wall, throughput, the controller's CPU (its process and the children it waited for, through
 * bench/usage-probe.mjs) and peak RSS; for the distributed mode also the workers' and the nats-servers'
 * CPU (from /proc, before and after each run) and the workers' RSS after each run (growth across runs
 * shows there). Each distributed run's journal must hold every step of every host exactly once.
 * The workers are started once and attached by a warm-up run over one host per segment (as deployed
 * workers would be), which is not measured.
 *
 * Everything it starts (sshd fleet, nats-servers, workers, measured runs) is stopped by PID and the temp
 * dirs removed, also when a run fails and on SIGINT / SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NATS_PASSWORD_ENV } from '../src/bus/names.js';
import type { Fleet } from '../src/lab/loopback-fleet.js';
import { segmentAuthConfig, startNatsHub, startNatsLeaf, type NatsHub, type NatsServer } from '../test/helpers/nats.js';
import {
  connectTimeoutArgs,
  firebreakRun,
  floorRunner,
  killChild,
  median,
  onCleanup,
  procCpuMs,
  procRssMb,
  root,
  withFleet,
  type Measure,
} from './harness.js';
import { TRIAGE_COMMANDS } from './workload.mjs';

const SEGMENTS = ['a', 'b'] as const;
type Segment = (typeof SEGMENTS)[number];
const STEPS = TRIAGE_COMMANDS.length;

interface Worker {
  segment: Segment;
  child: ChildProcess;
  log: string;
}

interface DistMeasure extends Measure {
  workersCpuMs: number;
  natsCpuMs: number;
  workersRssMb: number[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function tail(file: string, chars = 3000): string {
  try {
    return readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '';
  }
}

/** The fleet's inventory with the first half of the hosts in segment a, the rest in b. */
function segmentedInventory(fleet: Fleet, tmp: string): string {
  const half = Math.ceil(fleet.hosts.length / 2);
  const names = fleet.hosts.map((h) => h.name);
  const file = join(tmp, 'inventory-segments.ini');
  writeFileSync(
    file,
    [
      readFileSync(fleet.inventoryPath, 'utf8'),
      '[seg_a]',
      ...names.slice(0, half),
      '[seg_a:vars]',
      'firebreak_segment=a',
      '[seg_b]',
      ...names.slice(half),
      '[seg_b:vars]',
      'firebreak_segment=b',
      '',
    ].join('\n'),
  );
  return file;
}

function startWorker(o: {
  segment: Segment;
  leaf: NatsServer;
  hub: NatsHub;
  user: { user: string; password: string };
  forks: number;
  connectTimeoutSec: number | undefined;
  fleet: Fleet;
  tmp: string;
}): Worker {
  const log = join(o.tmp, `worker-${o.segment}.log`);
  const fd = openSync(log, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [
        'bin/firebreak.js',
        'worker',
        '--nats',
        o.leaf.url,
        '--nats-domain',
        o.hub.domain,
        '--nats-user',
        o.user.user,
        '--segment',
        o.segment,
        '--forks',
        String(o.forks),
        ...connectTimeoutArgs(o.connectTimeoutSec),
        '--known-hosts',
        o.fleet.knownHostsPath,
        '--work-dir',
        join(o.tmp, `worker-${o.segment}`),
      ],
      { cwd: root, env: { ...process.env, [NATS_PASSWORD_ENV]: o.user.password }, stdio: ['ignore', fd, fd] },
    );
  } finally {
    closeSync(fd);
  }
  const w = { segment: o.segment, child, log };
  onCleanup(`worker ${o.segment} (pid ${child.pid})`, () => stopWorker(w));
  return w;
}

/** SIGTERM by PID (the worker naks what it holds and drains), SIGKILL after a bounded wait. */
async function stopWorker(w: Worker): Promise<void> {
  const c = w.child;
  const gone = () => c.exitCode !== null || c.signalCode !== null;
  if (gone()) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  killChild(c, 'SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (!gone()) {
    killChild(c, 'SIGKILL');
    await Promise.race([exited, sleep(3000)]);
  }
}

/** The line a worker logs once it found its segment's consumer. */
const attachLine = (segment: Segment) => new RegExp(`: segment ${segment}, \\d+ at once`);

/** Wait (bounded) until the worker's log says it found its segment's consumer. */
async function attached(w: Worker, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    if (attachLine(w.segment).test(tail(w.log, 100_000))) return;
    if (w.child.exitCode !== null || w.child.signalCode !== null) break;
    await sleep(100);
  }
  throw new Error(`worker ${w.segment} did not attach within ${timeoutMs} ms; its log ends:\n${tail(w.log)}`);
}

/** The journal of a failed run, in short: its events by type, and its failures by message (bounded). */
function failures(runsDir: string): string {
  try {
    const [dir] = readdirSync(runsDir);
    const events = readFileSync(join(runsDir, dir!, 'journal.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { type: string; host?: string; message?: string; at?: string });
    const count = (keys: string[]) => {
      const m = new Map<string, number>();
      for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
      return [...m].map(([k, n]) => `${n} x ${k}`);
    };
    const failed = events.filter((e) => e.type === 'host.failed' || e.type === 'host.unreachable');
    return [
      `journal: ${count(events.map((e) => e.type)).join(', ')}`,
      `first failure at ${failed[0]?.at ?? '-'} (run started ${events[0]?.at ?? '-'}):`,
      ...count(failed.map((e) => (e.message ?? '').replace(/host\d+/g, 'hostN'))).slice(0, 10),
    ].join('\n');
  } catch (err) {
    return `(no journal: ${(err as Error).message})`;
  }
}

/** Every (host, step) of the run finished exactly once, for every host. */
function checkJournal(runsDir: string, fleet: Fleet): void {
  const dirs = readdirSync(runsDir);
  if (dirs.length !== 1) throw new Error(`${runsDir}: expected one run dir, found ${dirs.length}`);
  const counts = new Map<string, number>();
  for (const line of readFileSync(join(runsDir, dirs[0]!, 'journal.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as { type?: string; host?: string; index?: number };
    if (e.type === 'step.finished') counts.set(`${e.host}#${e.index}`, (counts.get(`${e.host}#${e.index}`) ?? 0) + 1);
  }
  const twice = [...counts].filter(([, n]) => n !== 1);
  if (counts.size !== fleet.hosts.length * STEPS || twice.length)
    throw new Error(
      `journal: ${counts.size} of ${fleet.hosts.length * STEPS} steps finished; more than once: ${twice.length}`,
    );
}

/** JetStream totals on the hub (`/jsz`): what the runs left stored. */
async function jsz(hub: NatsHub): Promise<{ messages: number; bytes: number; streams: number }> {
  const r = await fetch(`${hub.monitorUrl}/jsz`, { signal: AbortSignal.timeout(5000) });
  const j = (await r.json()) as { messages?: number; bytes?: number; streams?: number };
  return { messages: j.messages ?? 0, bytes: j.bytes ?? 0, streams: j.streams ?? 0 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      hosts: { type: 'string', default: '200' },
      runs: { type: 'string', default: '1' },
      'worker-forks': { type: 'string' },
      // Seconds a connection may take to be ready, for the floor, controllers and workers (defaults 30 s, 10 s).
      'connect-timeout': { type: 'string' },
    },
  });
  const hostCount = Number(values.hosts);
  if (!Number.isInteger(hostCount) || hostCount < 2) throw new Error('--hosts: at least 2 (one per segment)');
  const runs = Math.max(1, Math.min(50, Number(values.runs)));
  const perSegment = { a: Math.ceil(hostCount / 2), b: Math.floor(hostCount / 2) };
  const workerForks = (s: Segment) => (values['worker-forks'] ? Number(values['worker-forks']) : perSegment[s]);
  const connectTimeoutSec = values['connect-timeout'] ? Number(values['connect-timeout']) : undefined;

  await withFleet('firebreak-bench-dist', hostCount, async (fleet, tmp) => {
    const pw = () => randomBytes(12).toString('base64url');
    const controller = { user: 'controller', password: pw() };
    const users = { a: { user: 'seg-a', password: pw() }, b: { user: 'seg-b', password: pw() } };
    const hub = await startNatsHub({
      leafnodes: true,
      extraConfig: segmentAuthConfig({ controller, segments: users }),
    });
    onCleanup('the hub', () => hub.stop());
    const leaves = {} as Record<Segment, NatsServer>;
    for (const s of SEGMENTS) {
      leaves[s] = await startNatsLeaf(hub, { credentials: users[s], name: `leaf-${s}` });
      const leaf = leaves[s];
      onCleanup(`leaf ${s}`, () => leaf.stop());
    }
    const inventory = segmentedInventory(fleet, tmp);
    const workers = SEGMENTS.map((segment) =>
      startWorker({
        segment,
        leaf: leaves[segment],
        hub,
        user: users[segment],
        forks: workerForks(segment),
        connectTimeoutSec,
        fleet,
        tmp,
      }),
    );
    const natsPids = () => [hub.pid, ...SEGMENTS.map((s) => leaves[s].pid)];

    let runNo = 0;
    const distributed = async (limit?: string): Promise<DistMeasure> => {
      const runsDir = join(tmp, `runs-dist-${runNo++}`);
      mkdirSync(runsDir);
      const cpu0 = workers.map((w) => procCpuMs(w.child.pid!));
      const nats0 = natsPids().map(procCpuMs);
      const m = await firebreakRun(fleet, tmp, {
        forks: hostCount,
        inventory,
        runsDir,
        extra: [
          '--nats',
          hub.url,
          '--nats-domain',
          hub.domain,
          '--nats-user',
          controller.user,
          ...connectTimeoutArgs(connectTimeoutSec),
          ...(limit ? ['--limit', limit] : []),
        ],
        env: { [NATS_PASSWORD_ENV]: controller.password },
      }).catch((err: Error) => {
        throw new Error(
          `${err.message}\n${failures(runsDir)}\n` +
            workers.map((w) => `worker ${w.segment} log ends:\n${tail(w.log)}`).join('\n'),
        );
      });
      const workersCpuMs = workers.reduce((s, w, i) => s + procCpuMs(w.child.pid!) - cpu0[i]!, 0);
      const natsCpuMs = natsPids().reduce((s, pid, i) => s + procCpuMs(pid) - nats0[i]!, 0);
      if (!limit) checkJournal(runsDir, fleet);
      rmSync(runsDir, { recursive: true, force: true });
      return { ...m, workersCpuMs, natsCpuMs, workersRssMb: workers.map((w) => procRssMb(w.child.pid!).rss) };
    };

    // Warm-up, not measured: the first run routed to a segment creates its consumer; the workers attach.
    const first = fleet.hosts[0]!.name;
    const last = fleet.hosts[hostCount - 1]!.name;
    await distributed(`${first},${last}`);
    await Promise.all(workers.map((w) => attached(w, 30_000)));
    const jsBefore = await jsz(hub);

    const floor = floorRunner(fleet, tmp, connectTimeoutSec);
    const single = async (): Promise<Measure> => {
      const runsDir = join(tmp, `runs-single-${runNo++}`);
      mkdirSync(runsDir);
      const m = await firebreakRun(fleet, tmp, {
        forks: hostCount,
        runsDir,
        extra: connectTimeoutArgs(connectTimeoutSec),
      }).catch((err: Error) => {
        throw new Error(`${err.message}\n${failures(runsDir)}`);
      });
      checkJournal(runsDir, fleet);
      rmSync(runsDir, { recursive: true, force: true });
      return m;
    };
    const results = { floor: [] as Measure[], single: [] as Measure[], distributed: [] as DistMeasure[] };
    for (let i = 0; i < runs; i++) {
      results.floor.push(await floor());
      results.single.push(await single());
      results.distributed.push(await distributed());
      const d = results.distributed.at(-1)!;
      process.stderr.write(
        `run ${i + 1}/${runs}: floor ${results.floor.at(-1)!.wallMs.toFixed(0)} ms, single ${results.single.at(-1)!.wallMs.toFixed(0)} ms, ` +
          `distributed ${d.wallMs.toFixed(0)} ms; workers' RSS ${d.workersRssMb.map((r) => r.toFixed(1)).join(' / ')} MB\n`,
      );
    }
    const jsAfter = await jsz(hub);

    const med = (list: Measure[], f: (m: Measure) => number | undefined) => {
      const v = list.map(f).filter((x): x is number => x !== undefined);
      return v.length ? median(v) : NaN;
    };
    const rows = (['floor', 'single', 'distributed'] as const).map((name) => {
      const list = results[name];
      return {
        name,
        wall: med(list, (m) => m.wallMs) / 1000,
        cpu: med(list, (m) => m.cpuMs) / 1000,
        rss: med(list, (m) => m.maxRssMb),
        workersCpu: name === 'distributed' ? median(results.distributed.map((m) => m.workersCpuMs)) / 1000 : NaN,
        natsCpu: name === 'distributed' ? median(results.distributed.map((m) => m.natsCpuMs)) / 1000 : NaN,
      };
    });
    const [f, s, d] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
    const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
    console.log(
      `triage workload (${STEPS} steps), ${hostCount} hosts (segments a ${perSegment.a}, b ${perSegment.b}; ` +
        `worker forks ${workerForks('a')}/${workerForks('b')}), ${runs} run(s) each (median), machine: ${cpus().length} cores`,
    );
    console.log(
      'mode           wall s  hosts/s  steps/s  ctl CPU s  workers CPU s  nats CPU s  ctl peak RSS MB  wall/floor  wall/single',
    );
    for (const r of rows) {
      console.log(
        [
          r.name.padEnd(12),
          fmt(r.wall).padStart(8),
          fmt(hostCount / r.wall, 1).padStart(8),
          fmt((hostCount * STEPS) / r.wall, 1).padStart(8),
          fmt(r.cpu).padStart(10),
          fmt(r.workersCpu).padStart(14),
          fmt(r.natsCpu).padStart(11),
          fmt(r.rss, 1).padStart(16),
          `${fmt(r.wall / f.wall)}x`.padStart(11),
          `${fmt(r.wall / s.wall)}x`.padStart(12),
        ].join(' '),
      );
    }
    const dWallMs = (d.wall - s.wall) * 1000;
    const dCpuMs = (d.cpu + d.workersCpu + d.natsCpu - s.cpu) * 1000;
    console.log(
      `bus overhead per step: wall(distributed) - wall(single) = ${dWallMs.toFixed(0)} ms over ${STEPS} steps run in ` +
        `sequence on each host = ${(dWallMs / STEPS).toFixed(1)} ms per step on a host's path ` +
        `(${(dWallMs / (STEPS * hostCount)).toFixed(2)} ms per host-step amortized over ${hostCount} hosts run at once); ` +
        `CPU (controller + workers + nats-servers - single controller) ${(dCpuMs / (STEPS * hostCount)).toFixed(2)} ms per host-step`,
    );
    console.log(
      `workers' RSS after each run (MB): ${results.distributed.map((m) => m.workersRssMb.map((x) => x.toFixed(1)).join('/')).join(', ')}; ` +
        `peak ${workers.map((w) => procRssMb(w.child.pid!).peak.toFixed(1)).join('/')}; ` +
        `hub JetStream: ${jsBefore.messages} msgs ${(jsBefore.bytes / 1e6).toFixed(1)} MB after the warm-up, ` +
        `${jsAfter.messages} msgs ${(jsAfter.bytes / 1e6).toFixed(1)} MB after the runs`,
    );
    for (const w of workers) {
      // What went wrong on a worker shows in its log: retries, redeliveries, failures.
      // (after it attached: waiting for the buckets and the consumer before the warm-up is expected).
      const lines = tail(w.log, 5_000_000).split('\n');
      const attachedAt = lines.findIndex((l) => attachLine(w.segment).test(l));
      const trouble = lines
        .slice(attachedAt + 1)
        .filter((l) => /fail|retry|taken over|waiting for|dropped|error/i.test(l));
      console.log(
        `worker ${w.segment}: ${trouble.length} log line(s) of trouble${trouble.length ? `, first: ${trouble.slice(0, 3).join(' | ')}` : ''}`,
      );
    }
  });
}

await main();
