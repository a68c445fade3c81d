/**
 * Distributed runs end to end: a real nats-server hub with authorization, a leaf node per network
 * segment (each logged in as its segment's user), `firebreak worker` processes on the leaves and
 * `firebreak run --nats` on the hub, over real sshd hosts. Checked: hosts run where their segment
 * says (and the others on the controller), every step is journaled exactly once, evidence comes home
 * re-hashed with its custody path and the sealed run verifies, a worker SIGKILLed mid-step is taken
 * over by another of its segment without the step being lost or repeated, and a segment with no
 * worker is reported waiting, then failed, without hanging.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import {
  segmentAuthConfig,
  startNatsHub,
  startNatsLeaf,
  stopAllNats,
  type NatsHub,
  type NatsLeaf,
} from '../helpers/nats.js';
import { needProgram } from '../helpers/programs.js';
import { jetstreamManager, type Consumer } from '@nats-io/jetstream';
import { WORK_FORMAT } from '../../src/bus/envelope.js';
import {
  claimKey,
  eventsSubject,
  runKey,
  segmentInbox,
  WORK_STREAM,
  workConsumer,
  workSubject,
} from '../../src/bus/names.js';
import { ensureWorkConsumer, openBus, type Bus } from '../../src/bus/resources.js';
import { connect, nkeys } from '@nats-io/transport-node';
import {
  allFiles,
  onlyRunDir,
  readJournal,
  remoteProcesses,
  runCli,
  startCli,
  until,
  type RunningCli,
} from './run-cli.js';

const CONTROLLER = { user: 'controller', password: 'ctl-pw-3f9a' };
const SEGMENTS = { a: { user: 'seg-a', password: 'a-pw-81c2' }, b: { user: 'seg-b', password: 'b-pw-77d0' } };

describe('distributed runs: firebreak worker per segment over NATS JetStream (real hub, leaf nodes, sshd)', function () {
  this.timeout(120_000);
  let fleet: Fleet;
  let hub: NatsHub;
  const leaves: Record<string, NatsLeaf> = {};
  let work: string;
  let inventory: string;
  const workers: RunningCli[] = [];

  before(async function () {
    needProgram(this, 'nats-server');
    this.timeout(60_000);
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-nats-'));
    fleet = await startFleet({ hosts: 4 });
    hub = await startNatsHub({
      leafnodes: true,
      extraConfig: segmentAuthConfig({ controller: CONTROLLER, segments: SEGMENTS }),
    });
    leaves.a = await startNatsLeaf(hub, { credentials: SEGMENTS.a, name: 'leaf-a' });
    leaves.b = await startNatsLeaf(hub, { credentials: SEGMENTS.b, name: 'leaf-b' });
    // Hosts 1-2 in segment a, host 3 in b, host 4 on the controller.
    const [h1, h2, h3, h4] = fleet.hosts.map((h) => h.name) as [string, string, string, string];
    inventory = path.join(work, 'inventory.ini');
    writeFileSync(
      inventory,
      `${readFileSync(fleet.inventoryPath, 'utf8')}\n[seg_a]\n${h1}\n${h2}\n[seg_a:vars]\nfirebreak_segment=a\n` +
        `[seg_b]\n${h3}\n[seg_b:vars]\nfirebreak_segment=b\n[here]\n${h4}\n`,
    );
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await w.done.catch(() => undefined);
    }
  });
  after(async () => {
    await stopAllNats();
    await fleet?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  const startWorker = (segment: 'a' | 'b', extra: string[] = [], env: Record<string, string> = {}): RunningCli => {
    const w = startCli(
      [
        'worker',
        '--nats',
        leaves[segment]!.url,
        '--nats-domain',
        hub.domain,
        '--nats-user',
        SEGMENTS[segment].user,
        '--segment',
        segment,
        '--known-hosts',
        fleet.knownHostsPath,
        '--work-dir',
        path.join(work, `worker-${segment}-${workers.length}`),
        ...extra,
      ],
      { env: { FIREBREAK_NATS_PASSWORD: SEGMENTS[segment].password, ...env }, timeoutMs: 300_000 },
    );
    workers.push(w);
    return w;
  };
  /** `firebreak run` of a runbook on the test inventory, into `runs`, without the bus options. */
  const runArgs = (runbook: string, runs: string): string[] => [
    'run',
    runbook,
    ...['-i', inventory, '--known-hosts', fleet.knownHostsPath, '--runs-dir', runs, '--yes'],
  ];
  /** The same, on the hub as the controller user. */
  const run = (runbook: string, runs: string, ...extra: string[]) =>
    startCli(
      [
        ...runArgs(runbook, runs),
        ...['--nats', hub.url, '--nats-domain', hub.domain, '--nats-user', CONTROLLER.user],
        ...extra,
      ],
      { env: { FIREBREAK_NATS_PASSWORD: CONTROLLER.password }, timeoutMs: 110_000 },
    );
  const write = (name: string, runbook: object): string => {
    const file = path.join(work, `${name}.json`);
    writeFileSync(file, JSON.stringify(runbook));
    return file;
  };
  /** (host, index) → how many step.finished the journal has. */
  const finishedCounts = (runDir: string): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const e of readJournal(runDir))
      if (e.type === 'step.finished') counts.set(`${e.host}#${e.index}`, (counts.get(`${e.host}#${e.index}`) ?? 0) + 1);
    return counts;
  };

  /**
   * A run of hosts 1 and 3 (segments a and b) whose collect phase holds in a step until `gate` exists;
   * each step appends its name to the host's log, and a restore step runs after. Resolves once both
   * hosts are inside the held step.
   */
  const heldRun = async (name: string) => {
    const gate = path.join(work, `gate-${name}`);
    const log = (h: string) => path.join(work, `${name}-${h}.log`);
    const append = (what: string) => `echo ${what} >> ${work}/${name}-{{inventory_hostname}}.log`;
    const runbook = write(name, {
      name,
      phases: {
        collect: [
          { name: 'first', shell: append('first'), register: 'first' },
          { name: 'hold', shell: `${append('hold')}; while [ ! -e ${gate} ]; do sleep 0.2; done` },
          { name: 'after', shell: append('after') },
        ],
        restore: [{ name: 'last', shell: append('last-rc={{first.rc}}') }],
      },
    });
    const runs = path.join(work, `runs-${name}`);
    const hosts = [fleet.hosts[0]!.name, fleet.hosts[2]!.name];
    const cli = run(runbook, runs, '--limit', hosts.join(','));
    const has = (h: string, what: string) => existsSync(log(h)) && readFileSync(log(h), 'utf8').includes(what);
    await until(() => hosts.every((h) => has(h, 'hold')), 40_000, 'both hosts inside the held step');
    const lines = (h: string) => readFileSync(log(h), 'utf8').trim().split('\n');
    return { cli, runs, hosts, has, lines, release: () => writeFileSync(gate, '') };
  };

  it('runs each host where its segment says: events journaled once, evidence re-hashed with its relay hop, sealed run verifies', async () => {
    startWorker('a');
    startWorker('b');
    const ender = fleet.hosts[1]!.name; // segment a: ended on a worker
    const runbook = write('nats-basic', {
      name: 'nats-basic',
      phases: {
        collect: [
          { name: 'where', shell: 'printf "%s on %s" "$(id -un)" {{inventory_hostname}}', register: 'where' },
          {
            name: 'evidence',
            collect: { sets: [], commands: [{ label: 'extra/uname', command: 'uname -a' }], files: ['/etc/hostname'] },
          },
          {
            name: 'end one',
            when: `eq inventory_hostname "${ender}"`,
            end_host: { reason: 'ended on a worker', from: 'where' },
          },
        ],
        restore: [{ name: 'registered reaches a later phase', shell: 'echo "{{where.stdout}}"' }],
      },
    });
    const runs = path.join(work, 'runs-basic');
    const r = await run(runbook, runs).done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const runDir = onlyRunDir(runs);
    const journal = readJournal(runDir);
    // Every (host, step) exactly once, for all 4 hosts and 3 steps (the ended host: its end_host, no restore).
    const counts = finishedCounts(runDir);
    assert.equal(counts.size, 12, JSON.stringify([...counts]));
    for (const [k, n] of counts) assert.equal(n, 1, `${k} finished ${n} times`);
    assert.ok(counts.has(`${ender}#3`) && !counts.has(`${ender}#4`), 'the ended host ran nothing after its end');
    // The end came home from the worker once, and the controller kept the host out of the later phase.
    const ended = journal.filter((e) => e.type === 'host.ended');
    assert.deepEqual(
      ended.map((e) => [e.host, e.reason, typeof e.bus]),
      [[ender, 'ended on a worker', 'string']],
    );
    assert.ok(!journal.some((e) => e.host === ender && e.phase === 'restore'), 'no restore phase for the ended host');
    // Registered values crossed phases on the workers too.
    for (const h of fleet.hosts.filter((x) => x.name !== ender)) {
      const last = journal.find((e) => e.type === 'step.finished' && e.host === h.name && e.index === 4) as
        { outcome: { stdout?: string } } | undefined;
      assert.match(last?.outcome.stdout ?? '', new RegExp(`root on ${h.name}`), h.name);
    }
    // Evidence of segment hosts came through a worker of their segment; the local host's did not.
    const manifest = JSON.parse(readFileSync(path.join(runDir, 'evidence/manifest.json'), 'utf8')) as {
      artifacts: Array<{ host: string; sha256AtRest: string; relay?: { segment: string; sha256AtWorker: string } }>;
    };
    const segmentOf: Record<string, string | undefined> = {
      [fleet.hosts[0]!.name]: 'a',
      [fleet.hosts[1]!.name]: 'a',
      [fleet.hosts[2]!.name]: 'b',
      [fleet.hosts[3]!.name]: undefined,
    };
    assert.equal(manifest.artifacts.length, 8, 'two artifacts per host');
    for (const a of manifest.artifacts) {
      assert.equal(a.relay?.segment, segmentOf[a.host], `${a.host}: relay hop`);
      if (a.relay) assert.equal(a.relay.sha256AtWorker, a.sha256AtRest, `${a.host}: hash at the worker = hash at rest`);
    }
    // The artifacts' journal ids are the run store's.
    const ids = new Set(
      journal.filter((e) => e.type === 'evidence.stored').map((e) => (e.artifact as { id: string }).id),
    );
    assert.equal(ids.size, 8);
    for (const id of ids) assert.match(id, /^ev-\d{6}$/);
    // Step output files came home too.
    assert.ok(existsSync(path.join(runDir, 'hosts', fleet.hosts[0]!.name)), 'host dir of a segment host');
    // No secret on the bus reached the journal; the sealed run verifies.
    const raw = readFileSync(path.join(runDir, 'journal.jsonl'), 'utf8');
    for (const s of [CONTROLLER.password, SEGMENTS.a.password, SEGMENTS.b.password]) assert.ok(!raw.includes(s));
    const v = await runCli(['evidence', 'verify', runDir]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  it('a worker SIGKILLed mid-step: another worker of the segment takes the host-phase over; the step ends once', async () => {
    const gate = path.join(work, 'gate');
    const runbook = write('nats-takeover', {
      name: 'nats-takeover',
      phases: {
        collect: [
          { name: 'before', shell: `echo before >> ${work}/takeover-{{inventory_hostname}}.log` },
          {
            name: 'hold',
            idempotent: true,
            shell: `echo hold >> ${work}/takeover-{{inventory_hostname}}.log; while [ ! -e ${gate} ]; do sleep 0.2; done`,
          },
          { name: 'after', shell: `echo after >> ${work}/takeover-{{inventory_hostname}}.log` },
        ],
      },
    });
    const runs = path.join(work, 'runs-takeover');
    const first = startWorker('a');
    startWorker('b');
    const cli = run(runbook, runs, '--limit', fleet.hosts[0]!.name, '--nats-ack-wait', '2');
    const log = path.join(work, `takeover-${fleet.hosts[0]!.name}.log`);
    await until(() => existsSync(log) && readFileSync(log, 'utf8').includes('hold'), 40_000, 'the step to start');
    first.child.kill('SIGKILL');
    await first.done.catch(() => undefined);
    const second = startWorker('a');
    await second
      .waitFor((_o, e) => /taken over \((delivery \d+|the controller's copy)/.test(e), 40_000, 'the takeover')
      .catch((err: Error) => {
        throw new Error(`${err.message}\nkilled worker:\n${first.out.stderr}\ncontroller:\n${cli.out.stdout}`);
      });
    writeFileSync(gate, '');
    const r = await cli.done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const runDir = onlyRunDir(runs);
    for (const [k, n] of finishedCounts(runDir)) assert.equal(n, 1, `${k} finished ${n} times`);
    const hold = readJournal(runDir).find((e) => e.type === 'step.finished' && e.index === 2) as unknown as {
      outcome: { status: string; resumed?: string };
    };
    assert.notEqual(hold.outcome.status, 'failed');
    assert.match(hold.outcome.resumed ?? '', /safe to repeat: run again/);
    // "before" ran once (its record said it ended), "hold" twice (the kill, the takeover), "after" once.
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['before', 'hold', 'hold', 'after']);
  });

  it("a worker claimed a host-phase and went silent, and JetStream will not hand the unit out again: the controller's copy takes that claim over", async () => {
    const h1 = fleet.hosts[0]!.name;
    const runbook = write('nats-ghost', {
      name: 'nats-ghost',
      phases: { collect: [{ name: 'one', shell: `echo one >> ${work}/ghost-{{inventory_hostname}}.log` }] },
    });
    const runs = path.join(work, 'runs-ghost');
    // The ghost: takes the unit off segment a's queue as a worker does, claims the host-phase, acks the
    // message (so JetStream never redelivers it: what nats-server 2.9 was seen doing with a dead
    // worker's unit), and says nothing more.
    const nc = await connect({
      servers: leaves.a!.url,
      user: SEGMENTS.a.user,
      pass: SEGMENTS.a.password,
      inboxPrefix: segmentInbox('a'),
    });
    const cli = run(runbook, runs, '--limit', h1, '--nats-ack-wait', '2');
    try {
      // The controller makes the bus and the segment's consumer as the run starts.
      let bus: Bus | undefined;
      let consumer: Consumer | undefined;
      await until(
        async () => {
          bus ??= await openBus(nc, false, hub.domain).catch(() => undefined);
          consumer = await bus?.js.consumers.get(WORK_STREAM, workConsumer('a')).catch(() => undefined);
          return consumer !== undefined;
        },
        20_000,
        "segment a's work consumer",
      );
      const msg = await consumer!.next({ expires: 20_000 });
      assert.ok(msg, 'the ghost got the unit');
      const unit = msg.json<{ runId: string; host: { name: string }; phase: string }>();
      await bus!.steps.create(
        claimKey(unit.runId, unit.host.name, unit.phase),
        JSON.stringify({ by: 'worker', worker: 'ghost', delivery: 1 }),
      );
      msg.ack();
      const worker = startWorker('a');
      await worker
        .waitFor((_o, e) => /taken over \(the controller's copy/.test(e), 40_000, 'the takeover copy')
        .catch((err: Error) => {
          throw new Error(`${err.message}\ncontroller:\n${cli.out.stdout}${cli.out.stderr}`);
        });
      const r = await cli.done;
      assert.equal(r.code, 0, r.stdout + r.stderr);
      for (const [k, n] of finishedCounts(onlyRunDir(runs))) assert.equal(n, 1, `${k} finished ${n} times`);
      assert.equal(readFileSync(path.join(work, `ghost-${h1}.log`), 'utf8'), 'one\n');
    } finally {
      if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
      await cli.done.catch(() => undefined);
      await nc.close();
    }
  });

  it('the controller SIGKILLed mid-run: workers carry on; resume --nats re-attaches, journals what they did once, finishes', async () => {
    startWorker('a');
    startWorker('b');
    const { cli, runs, hosts, has, lines, release } = await heldRun('reattach');
    cli.child.kill('SIGKILL');
    await cli.done.catch(() => undefined);
    // With no controller, the workers finish the phase on their own.
    release();
    await until(() => hosts.every((h) => has(h, 'after')), 40_000, 'the workers to finish the phase');
    const runDir = onlyRunDir(runs);
    const r = await runCli(
      ['resume', runDir, '--nats', hub.url, '--nats-domain', hub.domain, '--nats-user', CONTROLLER.user, '--yes'],
      { env: { FIREBREAK_NATS_PASSWORD: CONTROLLER.password }, timeoutMs: 90_000 },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const counts = finishedCounts(runDir);
    assert.equal(counts.size, 8, JSON.stringify([...counts]));
    for (const [k, n] of counts) assert.equal(n, 1, `${k} finished ${n} times`);
    for (const h of hosts) assert.deepEqual(lines(h), ['first', 'hold', 'after', 'last-rc=0'], h);
    const v = await runCli(['evidence', 'verify', runDir]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
  });

  it('the NATS hub restarted mid-run (file storage): work continues and every step is journaled once', async () => {
    startWorker('a');
    startWorker('b');
    const { cli, runs, hosts, lines, release } = await heldRun('restart');
    await hub.restart();
    release();
    const r = await cli.done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const counts = finishedCounts(onlyRunDir(runs));
    assert.equal(counts.size, 8, JSON.stringify([...counts]));
    for (const [k, n] of counts) assert.equal(n, 1, `${k} finished ${n} times`);
    for (const h of hosts) assert.deepEqual(lines(h), ['first', 'hold', 'after', 'last-rc=0'], h);
  });

  it('secrets stay where they are: the become password a worker holds is in no bus message, stream, record or run file', async () => {
    const { user, password } = fleet.becomeUser;
    // Segment a's hosts log in as the sudo user; only the worker of segment a knows the sudo password.
    const fbInventory = path.join(work, 'inventory-become.ini');
    writeFileSync(fbInventory, readFileSync(inventory, 'utf8').replace(/ansible_user=root/g, `ansible_user=${user}`));
    startWorker('a', [], { FIREBREAK_BECOME_PASS: password });
    const runbook = write('nats-become', {
      name: 'nats-become',
      phases: { collect: [{ name: 'as root', shell: 'id -u', become: true }] },
    });
    const runs = path.join(work, 'runs-become');
    const [h1, h2] = fleet.hosts.map((h) => h.name) as [string, string];
    const r = await run(runbook, runs, '-i', fbInventory, '--limit', `${h1},${h2}`).done;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const runDir = onlyRunDir(runs);
    for (const h of [h1, h2])
      assert.equal(readFileSync(path.join(runDir, `hosts/${h}/01-collect-as-root.stdout`), 'utf8'), '0\n');
    // Every message the bus holds: events, work units, step records, run inputs, object metadata.
    const nc = await connect({ servers: hub.url, user: CONTROLLER.user, pass: CONTROLLER.password });
    try {
      const jsm = await jetstreamManager(nc);
      const streams = [
        'FIREBREAK_EVENTS',
        'FIREBREAK_WORK',
        'KV_FIREBREAK_STEPS',
        'KV_FIREBREAK_RUNS',
        'OBJ_FIREBREAK_EVIDENCE',
      ];
      let messages = 0;
      for (const stream of streams) {
        const info = await jsm.streams.info(stream);
        for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
          const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
          if (!m) continue;
          messages++;
          const text = Buffer.from(m.data).toString('utf8');
          for (const secret of [password, CONTROLLER.password, SEGMENTS.a.password])
            assert.ok(!text.includes(secret), `${stream} #${seq} holds a secret`);
        }
      }
      assert.ok(messages > 10, `read ${messages} messages: the check looked at nothing`);
    } finally {
      await nc.close();
    }
    for (const { file, bytes } of await allFiles(runDir))
      assert.ok(!bytes.includes(Buffer.from(password)), `${file} holds the become password`);
  });

  it('a worker verifies host keys as the controller does: a host its known_hosts does not vouch for is refused', async () => {
    const empty = path.join(work, 'known_hosts-empty');
    writeFileSync(empty, '');
    startWorker('b', ['--known-hosts', empty]);
    const runbook = write('nats-hostkey', {
      name: 'nats-hostkey',
      phases: { collect: [{ name: 'one', shell: 'true' }] },
    });
    const runs = path.join(work, 'runs-hostkey');
    const h3 = fleet.hosts[2]!.name;
    const r = await run(runbook, runs, '--limit', h3).done;
    assert.equal(r.code, 3, r.stdout + r.stderr);
    const unreachable = readJournal(onlyRunDir(runs)).find((e) => e.type === 'host.unreachable');
    assert.equal(unreachable?.reason, 'hostkey-unknown', JSON.stringify(unreachable));
  });

  it('SIGINT on the controller aborts the run on the workers too: the remote command is killed, exit 4', async () => {
    startWorker('a');
    const runbook = write('nats-abort', {
      name: 'nats-abort',
      phases: {
        collect: [
          { name: 'long', shell: 'sleep 7771' },
          { name: 'never', shell: 'true' },
        ],
      },
    });
    const runs = path.join(work, 'runs-abort');
    const h1 = fleet.hosts[0]!.name;
    const cli = run(runbook, runs, '--limit', h1);
    await until(
      async () => (await remoteProcesses(fleet, h1, '[s]leep 7771')).length > 0,
      40_000,
      'the sleep on the host',
    );
    cli.child.kill('SIGINT');
    const r = await cli.done;
    assert.equal(r.code, 4, r.stdout + r.stderr);
    await until(
      async () => (await remoteProcesses(fleet, h1, '[s]leep 7771')).length === 0,
      15_000,
      'the sleep to be killed',
    );
    const journal = readJournal(onlyRunDir(runs));
    assert.ok(!journal.some((e) => e.type === 'step.started' && e.step === 'never'), 'no step after the abort');
  });

  it('a worker that cannot run a run (inputs of another firebreak) fails the host-phase with the reason instead of passing it round', async () => {
    // Its own segment (c), on the hub as the controller user: no earlier test's killed worker was ever on
    // it (see the note on issue 14: a unit published right after a worker of the segment was killed).
    const w = startCli(
      [
        'worker',
        '--nats',
        hub.url,
        '--nats-user',
        CONTROLLER.user,
        '--segment',
        'c',
        '--known-hosts',
        fleet.knownHostsPath,
      ],
      { env: { FIREBREAK_NATS_PASSWORD: CONTROLLER.password }, timeoutMs: 300_000 },
    );
    workers.push(w);
    const nc = await connect({ servers: hub.url, user: CONTROLLER.user, pass: CONTROLLER.password });
    try {
      // The bus as a controller sets it up; then run inputs no firebreak of this version would write.
      const bus = await openBus(nc, true);
      await ensureWorkConsumer(nc, 'c', 30_000);
      const js = bus.js;
      await bus.runs.put(runKey('fake-run'), JSON.stringify({ format: 1, firebreakVersion: '0.0.0-other' }));
      const events = nc.subscribe(eventsSubject('fake-run'));
      const unit = {
        format: WORK_FORMAT,
        runId: 'fake-run',
        segment: 'c',
        host: { name: 'h-x', vars: {}, groups: [] },
        phase: 'collect',
        indexes: [1],
        registered: {},
      };
      await js.publish(workSubject('c'), JSON.stringify(unit), { msgID: 'fake-run/h-x/collect/work' });
      const seen: string[] = [];
      for await (const m of events) {
        const e = m.json<{ kind: string; event?: { type: string; message?: string }; state?: string }>();
        seen.push(
          e.kind === 'event'
            ? `${e.event!.type}${e.event!.message ? `: ${e.event!.message}` : ''}`
            : `${e.kind} ${e.state}`,
        );
        if (e.kind === 'result') break;
      }
      assert.match(
        seen[0]!,
        /^host\.failed: h-x: worker \S+ cannot run it: run fake-run: its inputs are of another firebreak/,
      );
      assert.deepEqual(seen.slice(1), ['host.finished', 'result failed']);
      await w.waitFor((_o, e) => /refused/.test(e), 10_000, 'the worker to log the refusal');
    } finally {
      await nc.close();
    }
  });

  it('a segment with no worker: its host is reported waiting, then failed after --segment-wait; the others finish', async () => {
    startWorker('a');
    // A worker that claims segment b with segment a's credentials gets none of b's work.
    const rogue = startCli(
      [
        'worker',
        '--nats',
        leaves.a!.url,
        '--nats-domain',
        hub.domain,
        '--nats-user',
        SEGMENTS.a.user,
        '--segment',
        'b',
      ],
      { env: { FIREBREAK_NATS_PASSWORD: SEGMENTS.a.password }, timeoutMs: 300_000 },
    );
    workers.push(rogue);
    const runbook = write('nats-nobody', {
      name: 'nats-nobody',
      phases: { collect: [{ name: 'one', shell: 'true' }] },
    });
    const runs = path.join(work, 'runs-nobody');
    const r = await run(runbook, runs, '--segment-wait', '8').done;
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /WAITING for a worker of segment b/);
    assert.match(r.stdout + r.stderr, /no worker of segment b answered for 8 s/);
    const journal = readJournal(onlyRunDir(runs));
    const failed = journal.filter((e) => e.type === 'host.failed').map((e) => e.host);
    assert.deepEqual(failed, [fleet.hosts[2]!.name]);
    const ok = journal.filter((e) => e.type === 'host.finished' && e.state === 'ok').map((e) => e.host);
    assert.equal(ok.length, 3);
    assert.doesNotMatch(rogue.out.stderr, /started|taken over/, rogue.out.stderr);
  });

  it('TLS and NKEY authentication: a hub that only speaks TLS and wants client certificates, controller and worker known by their NKEYs', async function () {
    needProgram(this, 'openssl');
    const dir = path.join(work, 'tls');
    mkdirSync(dir);
    const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { cwd: dir, stdio: 'pipe' });
    sh('openssl req -x509 -newkey ed25519 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=test-ca');
    sh('openssl req -newkey ed25519 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1');
    writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    sh(
      'openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 1 -extfile san.ext',
    );
    // The client certificate both controller and worker present (mutual TLS: the hub verifies it).
    sh('openssl req -newkey ed25519 -nodes -keyout client.key -out client.csr -subj /CN=firebreak-client');
    writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    sh(
      'openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 1 -extfile client.ext',
    );
    const [controllerKey, workerKey] = [nkeys.createUser(), nkeys.createUser()];
    const seed = (name: string, kp: typeof controllerKey) => {
      const file = path.join(dir, `${name}.nk`);
      writeFileSync(file, Buffer.from(kp.getSeed()), { mode: 0o600 });
      return file;
    };
    const tlsHub = await startNatsHub({
      extraConfig: [
        `tls { cert_file: "${dir}/server.pem", key_file: "${dir}/server.key", ca_file: "${dir}/ca.pem", verify: true }`,
        segmentAuthConfig({
          controller: { nkey: controllerKey.getPublicKey() },
          segments: { a: { nkey: workerKey.getPublicKey() } },
        }),
      ].join('\n'),
    });
    const url = `tls://127.0.0.1:${tlsHub.port}`;
    const ca = ['--nats-tls-ca', path.join(dir, 'ca.pem')];
    const tls = [
      ...ca,
      '--nats-tls-cert',
      path.join(dir, 'client.pem'),
      '--nats-tls-key',
      path.join(dir, 'client.key'),
    ];
    const worker = startCli(
      [
        'worker',
        '--nats',
        url,
        ...tls,
        '--nats-nkey',
        seed('worker', workerKey),
        '--segment',
        'a',
        '--known-hosts',
        fleet.knownHostsPath,
        '--work-dir',
        path.join(dir, 'worker'),
      ],
      { timeoutMs: 300_000 },
    );
    workers.push(worker);
    const runbook = write('nats-tls', { name: 'nats-tls', phases: { collect: [{ name: 'one', shell: 'hostname' }] } });
    const runs = path.join(work, 'runs-tls');
    const h1 = fleet.hosts[0]!.name;
    const args = [...runArgs(runbook, runs), '--limit', h1];
    const r = await runCli([...args, '--nats', url, ...tls, '--nats-nkey', seed('controller', controllerKey)], {
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr + worker.out.stderr);
    assert.match(worker.out.stderr, /started/);
    // Without the CA the controller cannot verify the hub: a clear environment error (exit 6), nothing run.
    const untrusted = await runCli([...args, '--nats', url, '--nats-nkey', seed('controller2', controllerKey)], {
      timeoutMs: 60_000,
    });
    assert.equal(untrusted.code, 6, untrusted.stdout + untrusted.stderr);
    assert.match(untrusted.stderr, /cannot connect to NATS at tls:\/\/127\.0\.0\.1/);
    // The hub verifies client certificates (verify: true): the runs above got in by presenting theirs.
    // A certificate without its key is a usage error, before anything connects.
    const half = await runCli([...args, '--nats', url, ...ca, '--nats-tls-cert', path.join(dir, 'client.pem')]);
    assert.equal(half.code, 2, half.stdout + half.stderr);
    assert.match(half.stderr, /--nats-tls-cert and --nats-tls-key go together/);
  });
});
