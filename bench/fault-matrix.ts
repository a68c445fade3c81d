/**
 * The fault matrix (issue "hostile and broken input"): each fault provoked for real through the built
 * CLI (`bin/firebreak.js run`, as users run it) on a loopback sshd fleet, and what firebreak did:
 * exit code, how long it took to give up or stop, the controller's peak RSS, and the check that
 * decides whether the outcome is the right one. Prints a Markdown table (the figures go on the issue).
 *
 *   npm run bench:faults [-- --only silent,flood,down,sigint,secrets,passphrase,paths] [--flood-gib 3]
 *
 * Every process it starts is stopped by PID; the fleet, the silent listener and temp dirs go at the end.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startFleet, type Fleet } from '../src/lab/loopback-fleet.js';

const root = resolve(import.meta.dirname, '..');
const BIN = join(root, 'bin', 'firebreak.js');

interface Outcome {
  fault: string;
  expected: string;
  exit: number | null;
  seconds: number;
  peakRssMb: number;
  ok: boolean;
  detail: string;
}

interface CliRun {
  code: number | null;
  out: string;
  seconds: number;
  peakRssMb: number;
}

/** Run the CLI, sampling its RSS from /proc every 100 ms; `during` gets the child to act on it. */
function cli(
  args: string[],
  opts: {
    env?: Record<string, string>;
    during?: (pid: number) => void;
    /** Run on a pseudo-terminal (util-linux `script`) and type `text` once `prompt` shows. */
    type?: { prompt: RegExp; text: string };
  } = {},
): Promise<CliRun> {
  const start = Date.now();
  return new Promise((resolvePromise) => {
    const argv = [BIN, ...args];
    const child = opts.type
      ? spawn('script', ['-qfec', [process.execPath, ...argv].map(shq).join(' '), '/dev/null'], {
          cwd: root,
          env: { ...process.env, CI: 'true', ...opts.env },
          stdio: ['pipe', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, argv, {
          cwd: root,
          env: { ...process.env, CI: 'true', ...opts.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
    let out = '';
    let typed = false;
    const onOut = (c: Buffer) => {
      out += c.toString();
      if (opts.type && !typed && opts.type.prompt.test(out)) {
        typed = true;
        child.stdin?.write(`${opts.type.text}\r`);
      }
    };
    child.stdout?.on('data', onOut);
    child.stderr?.on('data', onOut);
    let peak = 0;
    const sample = setInterval(() => {
      // The CLI itself: the child, or under `script` the child's child.
      let pid = child.pid;
      try {
        if (opts.type)
          pid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').split(' ')[0]);
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {
        // exited
      }
    }, 100);
    // Bounded: no case may run longer than 10 minutes.
    const guard = setTimeout(() => child.kill('SIGKILL'), 600_000);
    if (opts.during && child.pid) opts.during(child.pid);
    child.on('close', (code) => {
      clearInterval(sample);
      clearTimeout(guard);
      resolvePromise({ code, out, seconds: (Date.now() - start) / 1000, peakRssMb: Math.round(peak) });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const shq = (x: string) => `'${x.replace(/'/g, `'\\''`)}'`;

/** Every process command line on the machine now (the fleet hosts' processes are in our pid namespace). */
function commandLines(): string[] {
  const lines: string[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x)))
    try {
      lines.push(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    } catch {
      // gone
    }
  return lines;
}

/** A command on a fleet host through OpenSSH (not through firebreak): its stdout. */
function onHost(fleet: Fleet, address: string, port: number, command: string): string {
  return execFileSync(
    'ssh',
    [
      '-F',
      '/dev/null',
      '-i',
      fleet.clientKeyPath,
      '-p',
      String(port),
      '-o',
      `UserKnownHostsFile=${fleet.knownHostsPath}`,
      '-o',
      'BatchMode=yes',
      `root@${address}`,
      command,
    ],
    { encoding: 'utf8', timeout: 15_000 },
  ).trim();
}

/** Wait until the run directory's journal shows `pattern` (bounded). */
async function journalShows(runs: string, pattern: RegExp, ms = 60_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (const d of existsSync(runs) ? readdirSync(runs) : []) {
      const j = join(runs, d, 'journal.jsonl');
      if (existsSync(j) && pattern.test(readFileSync(j, 'utf8'))) return true;
    }
    await sleep(100);
  }
  return false;
}

function runDirOf(runs: string): string {
  const d = readdirSync(runs);
  return join(runs, d[0] ?? '');
}

/** Every file under `dir` holding any of `secrets`, as paths relative to `dir`. */
function filesHolding(dir: string, secrets: string[]): string[] {
  const hits: string[] = [];
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    const p = join(dir, f);
    if (!statSync(p).isFile()) continue;
    const text = readFileSync(p, 'latin1');
    if (secrets.some((s) => text.includes(s))) hits.push(f);
  }
  return hits;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, 'flood-gib': { type: 'string', default: '3' } },
  });
  const only = values.only?.split(',');
  const want = (k: string) => !only || only.includes(k);
  const work = mkdtempSync(join(tmpdir(), 'fb-faults-'));
  let fleet: Fleet | undefined;
  const servers: net.Server[] = [];
  const results: Outcome[] = [];
  try {
    fleet = await startFleet({ hosts: 2 });
    const fleetInventory = fleet.inventoryPath;
    const base = (rb: string, runs: string, inventory = fleetInventory) => [
      'run',
      rb,
      '-i',
      inventory,
      '--known-hosts',
      fleet!.knownHostsPath,
      '--runs-dir',
      runs,
      '--yes',
    ];
    const runbook = (name: string, doc: object): string => {
      const f = join(work, `${name}.json`);
      writeFileSync(f, JSON.stringify({ name, ...doc }));
      return f;
    };
    const h1 = fleet.hosts[0]!;

    if (want('silent')) {
      // Accepts TCP and never sends an SSH banner.
      const sockets: net.Socket[] = [];
      const server = net.createServer((s) => void sockets.push(s));
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as net.AddressInfo).port;
      const inv = join(work, 'silent.ini');
      writeFileSync(
        inv,
        `${readFileSync(fleet.inventoryPath, 'utf8')}\n[mute]\nsilent ansible_host=127.0.0.1 ansible_port=${port} ansible_user=root ansible_ssh_private_key_file=${fleet.clientKeyPath}\n`,
      );
      const runs = join(work, 'runs-silent');
      const rb = runbook('silent', { phases: { collect: [{ name: 'one', shell: 'true' }] } });
      const r = await cli([...base(rb, runs, inv), '--connect-timeout', '5']);
      const summary = JSON.parse(readFileSync(join(runDirOf(runs), 'summary.json'), 'utf8')) as {
        recap: { host: string; state: string; message?: string }[];
      };
      const silent = summary.recap.find((x) => x.host === 'silent');
      results.push({
        fault: 'a host accepts TCP and never sends an SSH banner (--connect-timeout 5)',
        expected: 'that host unreachable (timeout) in about the connect timeout, the others ok, exit 3',
        exit: r.code,
        seconds: r.seconds,
        peakRssMb: r.peakRssMb,
        ok:
          r.code === 3 &&
          silent?.state === 'unreachable' &&
          summary.recap.filter((x) => x.host !== 'silent').every((x) => x.state === 'ok') &&
          r.seconds < 30,
        detail: `silent: ${silent?.state}: ${silent?.message?.split('\n')[0] ?? ''}`,
      });
      for (const s of sockets) s.destroy();
    }

    if (want('flood')) {
      const gib = Number(values['flood-gib']);
      const runs = join(work, 'runs-flood');
      const rb = runbook('flood', {
        phases: { collect: [{ name: 'flood', shell: `yes | head -c ${gib}G` }] },
      });
      const r = await cli([...base(rb, runs), '--limit', h1.name]);
      const dir = runDirOf(runs);
      const stdout = (readdirSync(join(dir, 'hosts', h1.name)) as string[]).find((f) => f.endsWith('.stdout'));
      const size = stdout ? statSync(join(dir, 'hosts', h1.name, stdout)).size : 0;
      const finished = readFileSync(join(dir, 'journal.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; outcome?: { stdout?: string; outputCapped?: string } })
        .find((e) => e.type === 'step.finished');
      // The output file stops at FIREBREAK_MAX_OUTPUT_BYTES (1 GiB unless set) and the step says so.
      const cap = Number(process.env.FIREBREAK_MAX_OUTPUT_BYTES) || 2 ** 30;
      results.push({
        fault: `a step prints ${gib} GiB (yes | head -c ${gib}G)`,
        expected: `controller RSS bounded; the step's output file stops at the cap (${(cap / 2 ** 30).toFixed(2)} GiB) and the step says so; the journal keeps a capped head`,
        exit: r.code,
        seconds: r.seconds,
        peakRssMb: r.peakRssMb,
        ok:
          r.code === 0 &&
          r.peakRssMb < 400 &&
          size === Math.min(cap, gib * 2 ** 30) &&
          (gib * 2 ** 30 <= cap || /output capped/.test(finished?.outcome?.outputCapped ?? '')) &&
          (finished?.outcome?.stdout?.length ?? 0) <= 70_000,
        detail: `stdout file ${(size / 2 ** 30).toFixed(2)} GiB; ${finished?.outcome?.outputCapped ?? 'not capped'}; journal head ${finished?.outcome?.stdout?.length ?? 0} chars`,
      });
      rmSync(runs, { recursive: true, force: true });
    }

    if (want('down')) {
      const runs = join(work, 'runs-down');
      const rb = runbook('down', { phases: { collect: [{ name: 'long', shell: 'sleep 60' }] } });
      const fleet2 = await startFleet({ hosts: 2, namePrefix: 'down' });
      try {
        const victim = fleet2.hosts[0]!;
        let killedAt = 0;
        const r = await cli(
          ['run', rb, '-i', fleet2.inventoryPath, '--known-hosts', fleet2.knownHostsPath, '--runs-dir', runs],
          {
            during: () =>
              void journalShows(
                runs,
                /"type":"step.started"[^\n]*"host":"down01"|"host":"down01"[^\n]*"type":"step.started"/,
              ).then(async () => {
                await sleep(1000);
                killedAt = Date.now();
                await fleet2.stopHost(victim.name);
              }),
          },
        );
        const summary = JSON.parse(readFileSync(join(runDirOf(runs), 'summary.json'), 'utf8')) as {
          recap: { host: string; state: string; message?: string }[];
          finishedAt: string;
        };
        const v = summary.recap.find((x) => x.host === victim.name);
        const detectSeconds = killedAt ? (Date.parse(summary.finishedAt) - killedAt) / 1000 : NaN;
        results.push({
          fault: 'a host goes down mid-step (its sshd and sessions killed during `sleep 60`)',
          expected: 'that host unreachable, the other finishes, exit 3',
          exit: r.code,
          seconds: r.seconds,
          peakRssMb: r.peakRssMb,
          ok: r.code === 3 && v?.state === 'unreachable',
          detail: `${victim.name}: ${v?.state}: ${v?.message?.split('\n')[0] ?? ''}; run ended ${detectSeconds.toFixed(1)} s after the kill (the other host's sleep 60 included)`,
        });
      } finally {
        await fleet2.stop();
      }
    }

    if (want('sigint')) {
      const phases = ['isolate', 'collect', 'rebuild', 'restore'] as const;
      const rb = runbook('sigint', {
        phases: Object.fromEntries(phases.map((p) => [p, [{ name: `${p} step`, shell: 'sleep 300' }]])),
      });
      for (const phase of phases) {
        const runs = join(work, `runs-sigint-${phase}`);
        // Every phase before this one ends at once: skip them with --phase.
        const r = await cli([...base(rb, runs), '--phase', phase], {
          during: (pid) =>
            void journalShows(runs, /"type":"step.started"/).then(async () => {
              await sleep(500);
              process.kill(pid, 'SIGINT');
            }),
        });
        await sleep(3000); // the kill of the remote tree is bounded at ~2.5 s
        const left = fleet.hosts.map((h) => onHost(fleet!, h.address, h.port, "pgrep -f '[s]leep 300' || true"));
        const journal = readFileSync(join(runDirOf(runs), 'journal.jsonl'), 'utf8');
        results.push({
          fault: `SIGINT during the ${phase} phase (a step running sleep 300 on 2 hosts)`,
          expected: 'exit 4 within seconds, run.aborted journaled, the remote commands killed',
          exit: r.code,
          seconds: r.seconds,
          peakRssMb: r.peakRssMb,
          ok: r.code === 4 && /"type":"run.aborted"/.test(journal) && left.every((x) => x === '') && r.seconds < 20,
          detail: `remote sleep left: ${left.filter(Boolean).length}`,
        });
      }
    }

    if (want('secrets')) {
      const runs = join(work, 'runs-secrets');
      // Connect as the fleet's sudo user: `become` needs its password.
      const become = fleet.becomeUser.password;
      const vaultPw = 'Vault-Pw-2b8e41';
      const vaultFile = join(work, 'vault-pass');
      writeFileSync(vaultFile, `${vaultPw}\n`, { mode: 0o600 });
      const value = 'Vaulted-Value-91cd07';
      const enc = execFileSync(
        'ansible-vault',
        ['encrypt_string', '--vault-password-file', vaultFile, value, '--name', 'app_token'],
        { encoding: 'utf8' },
      );
      const inv = join(work, 'secrets');
      execFileSync('mkdir', ['-p', join(inv, 'group_vars')]);
      writeFileSync(
        join(inv, 'hosts.ini'),
        readFileSync(fleet.inventoryPath, 'utf8').replace(
          /ansible_user=root/g,
          `ansible_user=${fleet.becomeUser.user}`,
        ),
      );
      writeFileSync(join(inv, 'group_vars', 'all.yml'), enc);
      const rb = runbook('secrets', {
        phases: {
          collect: [{ name: 'as root', become: true, shell: 'id -un; echo "token={{app_token}}"' }],
        },
      });
      const cmdlines: string[] = [];
      const r = await cli(
        [
          'run',
          rb,
          '-i',
          join(inv, 'hosts.ini'),
          '--known-hosts',
          fleet.knownHostsPath,
          '--runs-dir',
          runs,
          '--vault-password-file',
          vaultFile,
        ],
        {
          env: { FIREBREAK_BECOME_PASS: become },
          during: () => {
            const t = setInterval(() => cmdlines.push(...commandLines()), 50);
            setTimeout(() => clearInterval(t), 8000);
          },
        },
      );
      const secrets = [become, vaultPw, value];
      const inFiles = filesHolding(runDirOf(runs), secrets);
      const holding = cmdlines.filter((c) => secrets.some((s) => c.includes(s)));
      const inCmdlines = holding.length;
      // Which programs (argv[0] and which secret), never the secret itself.
      const who = [
        ...new Set(holding.map((c) => `${c.split('\0')[0]} (${secrets.findIndex((s) => c.includes(s))})`)),
      ].join(', ');
      results.push({
        fault:
          'secrets: become password ($FIREBREAK_BECOME_PASS), vault password file, a vaulted variable echoed by a step',
        expected:
          'none of the three in any run file, the output, or any process command line on the machine (controller and hosts) during the run',
        exit: r.code,
        seconds: r.seconds,
        peakRssMb: r.peakRssMb,
        // The vaulted value is one the step itself puts into its command: that command goes to the host on
        // stdin, so none of the three may be in any command line.
        ok: r.code === 0 && inFiles.length === 0 && holding.length === 0 && !secrets.some((s) => r.out.includes(s)),
        detail: `output holding one: ${
          secrets
            .map((s, i) => (r.out.includes(s) ? i : -1))
            .filter((i) => i >= 0)
            .join(',') || 'none'
        }; files holding one: ${inFiles.length ? inFiles.join(', ') : 'none'}; command lines sampled ${cmdlines.length}, holding one: ${inCmdlines}${who ? ` (${who}; 0 become, 1 vault password, 2 vaulted value)` : ''}`,
      });
    }

    if (want('passphrase')) {
      const runs = join(work, 'runs-passphrase');
      // The fleet's key, encrypted, typed at the prompt on a terminal as a responder would.
      const passphrase = 'Key-Passphrase-5e7a21';
      const key = join(work, 'encrypted_ed25519');
      writeFileSync(key, readFileSync(fleet.clientKeyPath), { mode: 0o600 });
      execFileSync('ssh-keygen', ['-q', '-p', '-N', passphrase, '-f', key]);
      const inv = join(work, 'passphrase.ini');
      writeFileSync(inv, readFileSync(fleet.inventoryPath, 'utf8').split(fleet.clientKeyPath).join(key));
      const rb = runbook('passphrase', { phases: { collect: [{ name: 'who', shell: 'id -un; sleep 1' }] } });
      const cmdlines: string[] = [];
      const r = await cli(['run', rb, '-i', inv, '--known-hosts', fleet.knownHostsPath, '--runs-dir', runs], {
        type: { prompt: /Passphrase for /, text: passphrase },
        during: () => {
          const t = setInterval(() => cmdlines.push(...commandLines()), 50);
          setTimeout(() => clearInterval(t), 8000);
        },
      });
      const inFiles = filesHolding(runDirOf(runs), [passphrase]);
      const holding = cmdlines.filter((c) => c.includes(passphrase)).length;
      results.push({
        fault: 'secrets: an encrypted private key, its passphrase typed at the prompt (a terminal)',
        expected:
          'every host logged in with it (asked once); the passphrase in no run file, no output, no command line',
        exit: r.code,
        seconds: r.seconds,
        peakRssMb: r.peakRssMb,
        ok:
          r.code === 0 &&
          (r.out.match(/Passphrase for /g) ?? []).length === 1 &&
          inFiles.length === 0 &&
          holding === 0 &&
          !r.out.includes(passphrase),
        detail: `asked ${(r.out.match(/Passphrase for /g) ?? []).length} time(s); output holding it: ${r.out.includes(passphrase) ? 'yes' : 'no'}; files holding it: ${inFiles.length ? inFiles.join(', ') : 'none'}; command lines sampled ${cmdlines.length}, holding it: ${holding}`,
      });
    }

    if (want('paths')) {
      const runs = join(work, 'runs-paths');
      const rb = runbook('paths', {
        phases: { collect: [{ name: 'escape', fetch: { src: '/etc/hostname', dest: '../../../escaped' } }] },
      });
      const r = await cli([...base(rb, runs), '--limit', h1.name]);
      const escaped = existsSync(join(work, 'escaped')) || existsSync(join(runs, 'escaped'));
      // A host named `../../evil` (an inventory from elsewhere): it runs, and its files stay in the run.
      const inv = join(work, 'evil.ini');
      writeFileSync(
        inv,
        `../../evil ansible_host=${h1.address} ansible_port=${h1.port} ansible_user=root ansible_ssh_private_key_file=${fleet.clientKeyPath}\n`,
      );
      const plain = runbook('plain', { phases: { collect: [{ name: 'one', shell: 'echo hi' }] } });
      const evilRuns = join(work, 'runs-evil');
      const r2 = await cli(['run', plain, '-i', inv, '--known-hosts', fleet.knownHostsPath, '--runs-dir', evilRuns]);
      const hostDirs = readdirSync(join(runDirOf(evilRuns), 'hosts'));
      const outside = existsSync(join(work, 'evil')) || existsSync(join(evilRuns, 'evil'));
      results.push({
        fault: '`../` in a fetch dest and in a host name',
        expected:
          'the fetch refused before anything runs (exit 2, file:line); the host runs and its files stay inside its run directory',
        exit: r.code,
        seconds: r.seconds + r2.seconds,
        peakRssMb: Math.max(r.peakRssMb, r2.peakRssMb),
        ok: r.code === 2 && !escaped && r2.code === 0 && !outside && hostDirs.length === 1,
        detail: `fetch: exit ${r.code}: ${r.out.trim().split('\n').slice(-2).join(' ').slice(0, 150)}; host ../../evil: exit ${r2.code}, its files in hosts/${hostDirs.join(',')}, outside the run: ${outside}`,
      });
    }
  } finally {
    for (const s of servers) s.close();
    await fleet?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  console.log('| fault | expected | exit | s | peak RSS MB | as expected | what happened |');
  console.log('|---|---|---:|---:|---:|---|---|');
  for (const o of results)
    console.log(
      `| ${o.fault} | ${o.expected} | ${o.exit} | ${o.seconds.toFixed(1)} | ${o.peakRssMb} | ${o.ok ? 'yes' : '**NO**'} | ${o.detail.replace(/\|/g, '/')} |`,
    );
  if (results.some((o) => !o.ok)) process.exitCode = 1;
}

await main();
