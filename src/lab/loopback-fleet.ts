/**
 * A disposable fleet of real OpenSSH sshd processes on loopback (127.0.0.x), for tests, the bench and
 * the README demo. It imports nothing from src/ so any script can use it.
 *
 * Each host is one `sshd -D -e` with its own config, host key, pid file and port, started inside its
 * own mount + pid + UTS namespace (`unshare`). Inside that namespace, and only there:
 * - the hostname is the host's inventory name, so outputs differ per host as on a real fleet;
 * - `/root` is a clean empty home, because root's real `~/.bashrc` on these machines is slow and sshd
 *   runs it for every command (we measure firebreak, not the machine's shell setup);
 * - `/etc/passwd`, `/etc/shadow`, `/etc/group` and `/etc/sudoers.d` are bind-mounted copies that add
 *   a test user (`fbuser`, uid 4242) allowed to `sudo` with a password, for `become` tests;
 * - `/run` is a fresh tmpfs holding sshd's privilege-separation dir, so nothing is created on the host;
 * - `/var/log` is an empty tmpfs, so logins are not recorded in the machine's wtmp and lastlog;
 * - `/proc` is the namespace's own, so `ps`/`pgrep` over SSH see that host's processes only.
 * Killing the `unshare` process SIGKILLs sshd (`--kill-child`), the namespace's init, which takes every
 * session process and every mount of that namespace with it. The real machine is never changed.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, rmSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface FleetOptions {
  /** Number of hosts (1..2000). */
  hosts: number;
  /** Host i listens on basePort + i; without it each host gets a free port. */
  basePort?: number;
  /** Inventory name prefix: `host01`, `host02`... */
  namePrefix?: string;
  /** sshd `MaxStartups`; `null` keeps OpenSSH's default (10:30:100). Default `200`. */
  maxStartups?: string | null;
  /** Extra sshd_config lines for every host. */
  sshdConfigExtra?: string[];
  /** Inventory group holding every host. Default `fleet`. */
  group?: string;
  /** Seconds to wait for each sshd to listen. Default 15. */
  readyTimeoutSec?: number;
}

export interface FleetHost {
  /** Inventory name. */
  name: string;
  address: string;
  port: number;
  /** PID of the `unshare` process we started (its death kills the host's whole namespace). */
  pid: number;
  /** `ssh-ed25519 AAAA...` public host key. */
  hostPublicKey: string;
  hostKeyPath: string;
}

export interface Fleet {
  /** Temp dir holding everything (keys, configs, homes, inventory). Removed by stop(). */
  dir: string;
  hosts: FleetHost[];
  /** Private key (unencrypted ed25519) authorized for root and fbuser on every host. */
  clientKeyPath: string;
  /** OpenSSH known_hosts with `[address]:port` entries for every host. */
  knownHostsPath: string;
  /** INI inventory: ansible_host / ansible_port / ansible_user=root / ansible_ssh_private_key_file. */
  inventoryPath: string;
  /** The sudo-capable test user inside every host (password is a per-fleet random secret). */
  becomeUser: { user: string; uid: number; password: string; home: string };
  host(name: string): FleetHost;
  stopHost(name: string): Promise<void>;
  startHost(name: string): Promise<void>;
  /** Kill every process this fleet started and remove its temp dir. Idempotent. */
  stop(): Promise<void>;
}

const BECOME_USER = 'fbuser';
const BECOME_UID = 4242;

/** Live fleets, killed synchronously if the process exits without stop(). */
const live = new Set<{ children: Map<string, ChildProcess>; dir: string }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const f of live) {
      for (const c of f.children.values()) {
        try {
          if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      try {
        rmSync(f.dir, { recursive: true, force: true });
      } catch {
        /* best effort at exit */
      }
    }
  });
}

/** Address of host i (0-based): 127.0.0.2 .. 127.0.0.254, then 127.0.1.2 ... */
export function fleetAddress(i: number): string {
  return `127.0.${Math.floor(i / 253)}.${2 + (i % 253)}`;
}

async function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, address, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function keygen(file: string, comment: string): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return (await fs.readFile(`${file}.pub`, 'utf8')).trim().split(' ').slice(0, 2).join(' ');
}

async function passwordHash(password: string): Promise<string> {
  // The password goes through stdin, never on a command line.
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', ['passwd', '-6', '-stdin'], (err, stdout) =>
      err ? reject(err) : resolve(stdout.trim()),
    );
    child.stdin?.end(`${password}\n`);
  });
}

/** Copies of the account files with the test user added; bind-mounted inside each host only. */
async function writeAccounts(dir: string, password: string): Promise<void> {
  const etc = path.join(dir, 'etc');
  const home = path.join(dir, 'home', BECOME_USER);
  await fs.mkdir(path.join(etc, 'sudoers.d'), { recursive: true, mode: 0o755 });
  await fs.mkdir(home, { recursive: true, mode: 0o755 });
  await fs.chown(home, BECOME_UID, BECOME_UID);
  const strip = (text: string) =>
    text
      .split('\n')
      .filter((l) => l && !l.startsWith(`${BECOME_USER}:`))
      .join('\n') + '\n';
  const passwd = strip(await fs.readFile('/etc/passwd', 'utf8'));
  const group = strip(await fs.readFile('/etc/group', 'utf8'));
  const shadow = strip(await fs.readFile('/etc/shadow', 'utf8'));
  const hash = await passwordHash(password);
  await fs.writeFile(
    path.join(etc, 'passwd'),
    `${passwd}${BECOME_USER}:x:${BECOME_UID}:${BECOME_UID}:firebreak test:${home}:/bin/sh\n`,
    { mode: 0o644 },
  );
  await fs.writeFile(path.join(etc, 'group'), `${group}${BECOME_USER}:x:${BECOME_UID}:\n`, { mode: 0o644 });
  await fs.writeFile(path.join(etc, 'shadow'), `${shadow}${BECOME_USER}:${hash}:19000:0:99999:7:::\n`, { mode: 0o600 });
  // lecture=never and !mail_badpass: sudo would otherwise write to /var/lib/sudo or send mail on the real machine.
  await fs.writeFile(
    path.join(etc, 'sudoers.d', 'firebreak-test'),
    `Defaults:${BECOME_USER} lecture=never, !mail_badpass\n${BECOME_USER} ALL=(ALL:ALL) ALL\n`,
    { mode: 0o440 },
  );
}

function sshdConfig(dir: string, h: FleetHost, o: FleetOptions): string {
  const hostDir = path.join(dir, 'hosts', h.name);
  return [
    `ListenAddress ${h.address}:${h.port}`,
    `HostKey ${h.hostKeyPath}`,
    `PidFile ${path.join(hostDir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'StrictModes no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no',
    'AllowTcpForwarding yes',
    'X11Forwarding no',
    'PrintMotd no',
    'PrintLastLog no',
    'UseDNS no',
    'LogLevel INFO',
    'Subsystem sftp internal-sftp',
    ...(o.maxStartups === null ? [] : [`MaxStartups ${o.maxStartups ?? '200'}`]),
    ...(o.sshdConfigExtra ?? []),
    '',
  ].join('\n');
}

/** Runs inside the new namespaces: private mounts, then exec sshd as the namespace's init. */
const NAMESPACE_SCRIPT = [
  'set -e',
  'hostname "$3"',
  'mount -t tmpfs -o mode=755 fbrun /run',
  'mkdir -m 755 /run/sshd /run/sudo',
  'ln -s /dev/shm /run/shm',
  // The host's own name must resolve, or sudo stalls on a DNS lookup for every become.
  'printf "127.0.0.1 localhost\\n127.0.1.1 %s\\n::1 localhost\\n" "$3" > /run/hosts',
  'mount --bind /run/hosts /etc/hosts',
  'mount --bind "$1/home/root" /root',
  'mount --bind "$1/etc/passwd" /etc/passwd',
  'mount --bind "$1/etc/group" /etc/group',
  'mount --bind "$1/etc/shadow" /etc/shadow',
  'mount --bind "$1/etc/sudoers.d" /etc/sudoers.d',
  // Logins must not be recorded in the machine's wtmp/lastlog: the namespace gets an empty /var/log.
  'mount -t tmpfs -o mode=755 fblog /var/log',
  'exec /usr/sbin/sshd -D -e -f "$2"',
].join('\n');

function launch(
  dir: string,
  configPath: string,
  hostName: string,
  readyTimeoutSec: number,
): Promise<{ child: ChildProcess }> {
  const child = spawn(
    'unshare',
    [
      '--mount',
      '--uts',
      '--pid',
      '--fork',
      '--mount-proc',
      '--propagation',
      'private',
      '--kill-child',
      '--',
      '/bin/sh',
      '-c',
      NAMESPACE_SCRIPT,
      'fleet-host',
      dir,
      configPath,
      hostName,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(
      () => fail(new Error(`sshd did not start within ${readyTimeoutSec}s:\n${log}`)),
      readyTimeoutSec * 1000,
    );
    const fail = (err: Error) => {
      clearTimeout(timer);
      try {
        child.kill('SIGKILL');
      } catch {
        /* gone */
      }
      reject(err);
    };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      // Keep reading forever so sshd never blocks on a full pipe; remember only a bounded tail.
      log = (log + chunk).slice(-4000);
      if (/Server listening on/.test(log)) {
        clearTimeout(timer);
        resolve({ child });
      }
    });
    child.once('error', fail);
    child.once('exit', (code, sig) => fail(new Error(`sshd exited (${code ?? sig}) before listening:\n${log}`)));
  });
}

async function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Start a fleet of real sshd processes. Always pair with `fleet.stop()` (an exit hook is a safety net). */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > 2000) {
    throw new Error(`hosts must be 1..2000, got ${options.hosts}`);
  }
  installExitHook();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fb-fleet-'));
  const children = new Map<string, ChildProcess>();
  const entry = { children, dir };
  live.add(entry);
  const prefix = options.namePrefix ?? 'host';
  const readyTimeoutSec = options.readyTimeoutSec ?? 15;
  const width = Math.max(2, String(options.hosts).length);
  const hosts: FleetHost[] = [];
  const becomeUser = {
    user: BECOME_USER,
    uid: BECOME_UID,
    password: randomBytes(12).toString('base64url'),
    home: path.join(dir, 'home', BECOME_USER),
  };

  const stop = async () => {
    const all = [...children.values()];
    for (const c of all) {
      try {
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
    await Promise.all(all.map((c) => waitExit(c, 5000)));
    children.clear();
    live.delete(entry);
    await fs.rm(dir, { recursive: true, force: true });
  };

  try {
    await fs.chmod(dir, 0o755); // fbuser must reach its home inside
    await fs.mkdir(path.join(dir, 'home'), { mode: 0o755 });
    await fs.mkdir(path.join(dir, 'home', 'root'), { mode: 0o700 });
    const clientKeyPath = path.join(dir, 'client_ed25519');
    const clientPub = await keygen(clientKeyPath, 'firebreak-fleet-client');
    await fs.writeFile(path.join(dir, 'authorized_keys'), `${clientPub}\n`, { mode: 0o644 });
    await writeAccounts(dir, becomeUser.password);

    for (let i = 0; i < options.hosts; i++) {
      const name = `${prefix}${String(i + 1).padStart(width, '0')}`;
      const hostDir = path.join(dir, 'hosts', name);
      await fs.mkdir(hostDir, { recursive: true });
      const hostKeyPath = path.join(hostDir, 'ssh_host_ed25519_key');
      const address = fleetAddress(i);
      hosts.push({ name, address, port: 0, pid: 0, hostKeyPath, hostPublicKey: '' });
    }
    // Key generation in small parallel batches: bounded, and fast enough for hundreds of hosts.
    for (let i = 0; i < hosts.length; i += 16) {
      await Promise.all(
        hosts.slice(i, i + 16).map(async (h) => {
          h.hostPublicKey = await keygen(h.hostKeyPath, h.name);
        }),
      );
    }

    const startOne = async (h: FleetHost) => {
      const configPath = path.join(dir, 'hosts', h.name, 'sshd_config');
      for (let attempt = 1; ; attempt++) {
        if (options.basePort !== undefined) h.port = options.basePort + hosts.indexOf(h);
        else if (h.port === 0 || attempt > 1) h.port = await freePort(h.address);
        await fs.writeFile(configPath, sshdConfig(dir, h, options));
        try {
          const { child } = await launch(dir, configPath, h.name, readyTimeoutSec);
          children.set(h.name, child);
          h.pid = child.pid ?? 0;
          return;
        } catch (err) {
          // A free port can be taken between probing and binding: probe again (bounded).
          if (options.basePort !== undefined || attempt >= 5 || !/Address already in use|Cannot bind/.test(String(err)))
            throw err;
        }
      }
    };
    for (let i = 0; i < hosts.length; i += 32) {
      // Every start of the batch settles before a failure is thrown: stop() must find each sshd that did
      // start (one that finished after an early rejection was left running, its temp dir gone).
      const started = await Promise.allSettled(hosts.slice(i, i + 32).map(startOne));
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }

    const knownHostsPath = path.join(dir, 'known_hosts');
    await fs.writeFile(knownHostsPath, hosts.map((h) => `[${h.address}]:${h.port} ${h.hostPublicKey}\n`).join(''), {
      mode: 0o600,
    });
    const group = options.group ?? 'fleet';
    const inventoryPath = path.join(dir, 'inventory.ini');
    await fs.writeFile(
      inventoryPath,
      [
        `[${group}]`,
        ...hosts.map(
          (h) =>
            `${h.name} ansible_host=${h.address} ansible_port=${h.port} ansible_user=root ansible_ssh_private_key_file=${clientKeyPath}`,
        ),
        '',
      ].join('\n'),
    );

    const find = (name: string) => {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new Error(`no fleet host named ${name}`);
      return h;
    };
    return {
      dir,
      hosts,
      clientKeyPath,
      knownHostsPath,
      inventoryPath,
      becomeUser,
      host: find,
      stopHost: async (name) => {
        find(name);
        const child = children.get(name);
        if (!child) return;
        child.kill('SIGKILL');
        await waitExit(child, 5000);
        children.delete(name);
      },
      startHost: async (name) => {
        const h = find(name);
        if (children.has(name)) return;
        // The old namespace may still hold the port for a moment after stopHost: retry briefly (bounded).
        for (let attempt = 1; ; attempt++) {
          try {
            const { child } = await launch(dir, path.join(dir, 'hosts', name, 'sshd_config'), name, readyTimeoutSec);
            children.set(name, child);
            h.pid = child.pid ?? 0;
            return;
          } catch (err) {
            if (attempt >= 20 || !/Address already in use|Cannot bind/.test(String(err))) throw err;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
