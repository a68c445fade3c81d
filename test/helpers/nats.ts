/**
 * Real nats-server processes for tests of the distributed mode: a hub with JetStream (file storage in
 * a fresh temp dir) and leaf nodes (segments) that connect out to it, all on 127.0.0.1.
 *
 * Each server gets its own temp dir holding its config, its log (stdout and stderr, appended across
 * restarts) and, for a hub, its JetStream store. Readiness is the monitoring port's `/healthz` (and,
 * for a leaf, `/leafz` showing the hub's JetStream API interest), polled within a bounded time; a
 * failure names the log and includes its tail. Every started server is in a registry: `stopAllNats()`
 * in an `after` hook stops leftovers by PID and removes their dirs, and a process `exit` handler
 * SIGKILLs whatever is still running.
 *
 * Facts measured with nats-server 2.9.10 (test/integration/nats-harness.test.ts proves them):
 * - A leaf without JetStream does not reach the hub's JetStream through `$JS.API.>`: the leaf link
 *   denies `$JS.API.>`, `$KV.>` and `$OBJ.>` ("JetStream Not Extended"). With a JetStream domain on
 *   the hub, the hub maps `$JS.<domain>.API.>` (and `$JS.<domain>.API.$KV.>`) for the leaf, so clients
 *   on a leaf pass `jetstream(nc, { domain })`; the hub here always has a domain (`hub` by default).
 * - A leaf that logs in to the hub as a user gets that user's permissions on the whole link, for
 *   every client on the leaf: the hub checks what crosses as published on the leaf (before the domain
 *   mapping), so a leaf link needs the `$JS.<domain>.API...` subjects, a client on the hub the
 *   `$JS.API...` ones. A denied request from a leaf client fails at once with "no responders" (the
 *   JetStream client reports "jetstream is not enabled"), not with a permission error; a client on the
 *   hub gets "Permissions Violation for Publish to ...". Replies cross only to subscribable inboxes.
 * - After a hub restart a client on the hub reconnects and consume() pulls again at once; a client on a
 *   leaf never disconnects, so its pull (lost with the hub) is renewed only after two missed idle
 *   heartbeats (expires / 2 each; ~30 s with consume()'s defaults).
 * - `jetstream { sync_interval }` does not exist before nats-server 2.10 (2.9 rejects the config), and
 *   `leafnodes { reconnect }` takes whole seconds there.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findProgram } from '../../src/lab/index.js';
import { authConfig, type NatsUser } from '../../src/bus/auth-config.js';
import { segmentInbox } from '../../src/bus/names.js';
import { EVIDENCE_BUCKET, STEPS_BUCKET, WORK_STREAM, workConsumer, workSubject } from '../../src/bus/names.js';

export interface NatsUserPass {
  user: string;
  password: string;
}

export interface NatsServer {
  /** `nats://127.0.0.1:<port>` for clients. */
  url: string;
  port: number;
  /** Monitoring (`/healthz`, `/varz`, `/leafz`, ...) on 127.0.0.1. */
  monitorUrl: string;
  /** PID of the running process (changes on restart; 0 while halted). */
  pid: number;
  /** The server's temp dir: config, log, and for a hub the JetStream store. */
  dir: string;
  configFile: string;
  logFile: string;
  /** Stop the process by PID (SIGTERM, SIGKILL after a bounded wait), keeping dir, ports and store. */
  halt(signal?: NodeJS.Signals): Promise<void>;
  /** Start a halted server again with the same config, dir and ports; resolves once ready. */
  start(): Promise<void>;
  /** halt() then start(): "the NATS server restarted mid-run". */
  restart(signal?: NodeJS.Signals): Promise<void>;
  /** Stop for good and remove the temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** The last lines of the log. */
  logTail(lines?: number): string;
}

export interface NatsHub extends NatsServer {
  /** JetStream file storage (`store_dir`), inside dir. */
  storeDir: string;
  /** JetStream domain; clients on a leaf pass it: `jetstream(nc, { domain })`. */
  domain: string;
  /** `nats-leaf://127.0.0.1:<port>` when started with `leafnodes: true`. */
  leafUrl?: string;
  leafPort?: number;
}

export interface NatsLeaf extends NatsServer {
  hub: NatsHub;
}

export interface NatsHubOptions {
  /** Listen for leaf nodes on a free loopback port. */
  leafnodes?: boolean;
  /** JetStream domain (default `hub`). */
  domain?: string;
  /** `jetstream { sync_interval: always }`: fsync every write. Needs nats-server >= 2.10. */
  syncAlways?: boolean;
  /** Top-level config text appended as is, e.g. `segmentAuthConfig(...)`. */
  extraConfig?: string;
  /** `debug: true` in the server log (e.g. to see which subject a permission denied). */
  debug?: boolean;
  /** Bound on the wait for readiness (default 10 s). */
  readyTimeoutMs?: number;
}

export interface NatsLeafOptions {
  /** The hub user the leaf connection authenticates as (its permissions apply to the whole link). */
  credentials?: NatsUserPass;
  /** Used in the server name and temp dir name. */
  name?: string;
  extraConfig?: string;
  debug?: boolean;
  readyTimeoutMs?: number;
}

export const DEFAULT_NATS_DOMAIN = 'hub';

// ---------------------------------------------------------------------------------------------------
// registry

interface Running {
  child: ChildProcess;
  dir: string;
}
const live = new Set<Running>();
const servers = new Set<NatsServer>();

process.on('exit', () => {
  for (const r of live) {
    const c = r.child;
    if (c.pid && c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(r.dir, { recursive: true, force: true });
  }
});

/** Stop every server still registered (by PID) and remove its temp dir; for `after` hooks. */
export async function stopAllNats(): Promise<void> {
  await Promise.all([...servers].map((s) => s.stop()));
}

// ---------------------------------------------------------------------------------------------------
// small pieces

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let natsBinary: string | undefined;
function natsServerPath(): string {
  natsBinary ??= findProgram('nats-server');
  if (!natsBinary) throw new Error('nats-server is not installed (apt-get install -y nats-server)');
  return natsBinary;
}

let version: [number, number, number] | undefined;
/** The installed nats-server's version, e.g. [2, 9, 10]. */
export function natsServerVersion(): [number, number, number] {
  if (version) return version;
  const r = spawnSync(natsServerPath(), ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(`${r.stdout}${r.stderr}`);
  if (!m) throw new Error(`cannot read the nats-server version from ${JSON.stringify(r.stdout + r.stderr)}`);
  version = [Number(m[1]), Number(m[2]), Number(m[3])];
  return version;
}

/** A port the kernel just gave to a socket on 127.0.0.1 (may be taken again before use: callers retry). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** GET a loopback URL: status and body, or undefined when nothing answers within timeoutMs. */
function httpGet(url: string, timeoutMs = 1000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A config string literal: nats-server's quoted strings take JSON escapes, and `$` is literal there. */
const q = (s: string) => JSON.stringify(s);

// ---------------------------------------------------------------------------------------------------
// one server process

interface ServerSpec {
  kind: 'hub' | 'leaf';
  dir: string;
  /** Config text for the given ports (called again when ports are picked again). */
  config(ports: Ports): string;
  /** Extra readiness beyond /healthz: true once ready. */
  ready?(monitorUrl: string): Promise<boolean>;
  readyTimeoutMs: number;
  /** Ports to pick: client and monitor always, leaf listen for a hub with leafnodes. */
  wantLeafPort: boolean;
}

interface Ports {
  client: number;
  monitor: number;
  leaf?: number;
}

class ServerProcess {
  running: Running | undefined;
  ports!: Ports;
  readonly configFile: string;
  readonly logFile: string;
  stopped = false;

  constructor(readonly spec: ServerSpec) {
    this.configFile = path.join(spec.dir, `${spec.kind}.conf`);
    this.logFile = path.join(spec.dir, `${spec.kind}.log`);
  }

  get pid(): number {
    return this.running?.child.pid ?? 0;
  }

  async pickPorts(): Promise<void> {
    const ports: Ports = { client: await freePort(), monitor: await freePort() };
    if (this.spec.wantLeafPort) ports.leaf = await freePort();
    this.ports = ports;
    writeFileSync(this.configFile, this.spec.config(ports));
  }

  /** First start: picks free ports, and picks again (bounded) when the server could not bind one. */
  async firstStart(): Promise<void> {
    const attempts = 4;
    for (let attempt = 1; ; attempt++) {
      await this.pickPorts();
      try {
        await this.launch();
        return;
      } catch (err) {
        if (!(err instanceof BindError) || attempt >= attempts) throw err;
      }
    }
  }

  /** Start with the current config; on restart the old ports may be briefly busy: retry (bounded). */
  async restartSamePorts(): Promise<void> {
    const attempts = 5;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.launch();
        return;
      } catch (err) {
        if (!(err instanceof BindError) || attempt >= attempts) throw err;
        await sleep(200 * attempt);
      }
    }
  }

  private async launch(): Promise<void> {
    if (this.stopped) throw new Error(`${this.spec.kind} nats-server in ${this.spec.dir} was stopped for good`);
    const fd = openSync(this.logFile, 'a');
    const logStart = (() => {
      try {
        return readFileSync(this.logFile).length;
      } catch {
        return 0;
      }
    })();
    let child: ChildProcess;
    try {
      child = spawn(natsServerPath(), ['-c', this.configFile], { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const running: Running = { child, dir: this.spec.dir };
    live.add(running);
    this.running = running;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => live.delete(running));
    let spawnError: Error | undefined;
    child.once('error', (e) => (spawnError = e));

    const monitorUrl = `http://127.0.0.1:${this.ports.monitor}`;
    const deadline = Date.now() + this.spec.readyTimeoutMs;
    let healthy = false;
    // bounded: at most readyTimeoutMs / 50 polls
    for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
      if (spawnError || child.exitCode !== null || child.signalCode !== null) break;
      if (!healthy) {
        const r = await httpGet(`${monitorUrl}/healthz`, 500);
        healthy = r?.status === 200;
      }
      if (healthy && (!this.spec.ready || (await this.spec.ready(monitorUrl)))) return;
      await sleep(50);
    }
    const newLog = (() => {
      try {
        return readFileSync(this.logFile).subarray(logStart).toString('utf8');
      } catch {
        return '';
      }
    })();
    const exitedEarly = spawnError !== undefined || child.exitCode !== null || child.signalCode !== null;
    if (!exitedEarly) await this.kill('SIGKILL');
    else await Promise.race([exited, sleep(2000)]);
    const why = spawnError
      ? `could not be spawned (${spawnError.message})`
      : exitedEarly
        ? `exited (code ${child.exitCode}, signal ${child.signalCode})`
        : `was not ready within ${this.spec.readyTimeoutMs} ms`;
    const msg = `${this.spec.kind} nats-server (${this.configFile}) ${why}; log ${this.logFile} ends:\n${tail(this.logFile)}`;
    if (/address already in use/i.test(newLog)) throw new BindError(msg);
    throw new Error(msg);
  }

  /** Signal the process by PID and wait (bounded) for it to exit; SIGKILL if it outlives the wait. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const r = this.running;
    this.running = undefined;
    if (!r) return;
    const c = r.child;
    const done = () => c.exitCode !== null || c.signalCode !== null;
    if (done() || !c.pid) return void live.delete(r);
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    const send = (s: NodeJS.Signals) => {
      try {
        process.kill(c.pid!, s);
      } catch {
        // already gone
      }
    };
    send(signal);
    await Promise.race([exited, sleep(5000)]);
    if (!done()) {
      send('SIGKILL');
      await Promise.race([exited, sleep(2000)]);
    }
    live.delete(r);
  }
}

class BindError extends Error {}

function makeHandle(p: ServerProcess): NatsServer {
  const handle: NatsServer = {
    get url() {
      return `nats://127.0.0.1:${p.ports.client}`;
    },
    get port() {
      return p.ports.client;
    },
    get monitorUrl() {
      return `http://127.0.0.1:${p.ports.monitor}`;
    },
    get pid() {
      return p.pid;
    },
    dir: p.spec.dir,
    configFile: p.configFile,
    logFile: p.logFile,
    halt: (signal?: NodeJS.Signals) => p.kill(signal),
    start: async () => {
      if (p.running) throw new Error(`${p.spec.kind} nats-server is already running (pid ${p.pid})`);
      await p.restartSamePorts();
    },
    restart: async (signal?: NodeJS.Signals) => {
      await p.kill(signal);
      await p.restartSamePorts();
    },
    stop: async () => {
      p.stopped = true;
      servers.delete(handle);
      await p.kill();
      rmSync(p.spec.dir, { recursive: true, force: true });
    },
    logTail: (lines?: number) => tail(p.logFile, lines),
  };
  return handle;
}

async function startProcess(spec: ServerSpec): Promise<{ p: ServerProcess; handle: NatsServer }> {
  const p = new ServerProcess(spec);
  const handle = makeHandle(p);
  servers.add(handle);
  try {
    await p.firstStart();
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return { p, handle };
}

// ---------------------------------------------------------------------------------------------------
// hub and leaf

/** A hub: JetStream with file storage in a fresh temp dir, on free loopback ports. */
export async function startNatsHub(opts: NatsHubOptions = {}): Promise<NatsHub> {
  if (opts.syncAlways) {
    const [major, minor] = natsServerVersion();
    if (major < 2 || (major === 2 && minor < 10))
      throw new Error(`jetstream sync_interval needs nats-server >= 2.10 (this is ${natsServerVersion().join('.')})`);
  }
  const domain = opts.domain ?? DEFAULT_NATS_DOMAIN;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'firebreak-nats-hub-'));
  const storeDir = path.join(dir, 'store');
  const { p, handle } = await startProcess({
    kind: 'hub',
    dir,
    wantLeafPort: opts.leafnodes ?? false,
    readyTimeoutMs: opts.readyTimeoutMs ?? 10_000,
    config: (ports) =>
      [
        `server_name: ${q(`firebreak-hub-${path.basename(dir)}`)}`,
        `listen: ${q(`127.0.0.1:${ports.client}`)}`,
        `http: ${q(`127.0.0.1:${ports.monitor}`)}`,
        'logtime: true',
        ...(opts.debug ? ['debug: true'] : []),
        'jetstream {',
        `  store_dir: ${q(storeDir)}`,
        `  domain: ${q(domain)}`,
        '  max_memory_store: 256MB',
        '  max_file_store: 2GB',
        ...(opts.syncAlways ? ['  sync_interval: always'] : []),
        '}',
        ...(ports.leaf !== undefined ? [`leafnodes { listen: ${q(`127.0.0.1:${ports.leaf}`)} }`] : []),
        opts.extraConfig ?? '',
        '',
      ].join('\n'),
  });
  return Object.defineProperties(handle, {
    storeDir: { value: storeDir, enumerable: true },
    domain: { value: domain, enumerable: true },
    leafPort: { get: () => p.ports.leaf, enumerable: true },
    leafUrl: { get: () => (p.ports.leaf === undefined ? undefined : `nats-leaf://127.0.0.1:${p.ports.leaf}`) },
  }) as NatsHub;
}

/**
 * A leaf node (a segment's server) on its own loopback port, without JetStream, connecting out to the
 * hub's leafnode port (as `credentials` when given). Ready once its `/leafz` shows the link and the
 * hub's `$JS.<domain>.API` interest arrived over it, so a client on it can use the hub's JetStream
 * with `jetstream(nc, { domain: hub.domain })` right away.
 */
export async function startNatsLeaf(hub: NatsHub, opts: NatsLeafOptions = {}): Promise<NatsLeaf> {
  if (hub.leafPort === undefined) throw new Error('startNatsLeaf: start the hub with { leafnodes: true }');
  const name = opts.name ?? 'leaf';
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`startNatsLeaf: bad name ${JSON.stringify(name)}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), `firebreak-nats-${name}-`));
  const cred = opts.credentials
    ? `${encodeURIComponent(opts.credentials.user)}:${encodeURIComponent(opts.credentials.password)}@`
    : '';
  const jsPrefix = `$JS.${hub.domain}.API.`;
  const { handle } = await startProcess({
    kind: 'leaf',
    dir,
    wantLeafPort: false,
    readyTimeoutMs: opts.readyTimeoutMs ?? 10_000,
    config: (ports) =>
      [
        `server_name: ${q(`firebreak-${name}-${path.basename(dir)}`)}`,
        `listen: ${q(`127.0.0.1:${ports.client}`)}`,
        `http: ${q(`127.0.0.1:${ports.monitor}`)}`,
        'logtime: true',
        ...(opts.debug ? ['debug: true'] : []),
        'leafnodes {',
        '  reconnect: 1',
        `  remotes = [ { url: ${q(`nats-leaf://${cred}127.0.0.1:${hub.leafPort}`)} } ]`,
        '}',
        opts.extraConfig ?? '',
        '',
      ].join('\n'),
    ready: async (monitorUrl) => {
      const r = await httpGet(`${monitorUrl}/leafz?subs=1`, 500);
      if (r?.status !== 200) return false;
      const leafz = JSON.parse(r.body) as { leafs?: { subscriptions_list?: string[] }[] };
      return (leafz.leafs ?? []).some((l) => (l.subscriptions_list ?? []).some((s) => s.startsWith(jsPrefix)));
    },
  });
  return Object.defineProperty(handle, 'hub', { value: hub, enumerable: true }) as NatsLeaf;
}

// ---------------------------------------------------------------------------------------------------
// per-segment authorization

/** Names the distributed mode uses (src/bus/names.ts): one work stream, per-segment consumers. */
export const FIREBREAK_NATS = {
  workStream: WORK_STREAM,
  workSubject,
  workConsumer,
  eventsSubjects: 'fb.events.>',
  stepsBucket: STEPS_BUCKET,
  evidenceBucket: EVIDENCE_BUCKET,
} as const;

/** The inbox prefix a segment's clients must use (`connect({ inboxPrefix })`): only it is subscribable. */
export const segmentInboxPrefix = segmentInbox;

export interface SegmentAuthSpec {
  controller: NatsUser;
  segments: Record<string, NatsUser>;
  /** The hub's JetStream domain (default `hub`): segment users get both `$JS.API` and `$JS.<domain>.API`. */
  domain?: string;
}

/** The hub's authorization block: the product's own (src/bus/auth-config.ts), so tests run what users get. */
export function segmentAuthConfig(spec: SegmentAuthSpec): string {
  return authConfig({ ...spec, ...(spec.domain ? { domain: spec.domain } : {}) });
}
