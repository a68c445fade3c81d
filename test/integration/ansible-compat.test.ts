/**
 * Ansible gives the same answers as firebreak on the same files: for every inventory fixture,
 * `ansible-inventory --list`, `ansible-inventory --graph --vars` and `ansible PATTERN --list-hosts
 * [--limit L]` are run live and compared with ours. Skipped only when ansible is not installed.
 *
 * FIREBREAK_RECORD=1 also writes Ansible's answers into the fixtures (case.json hosts,
 * expected-list.json, expected-graph.txt) for the unit harness, which runs without Ansible.
 *
 * Each call is the CLI's own entry point (what /usr/bin/ansible runs: `ansible.cli.adhoc.main`,
 * `ansible.cli.inventory.main`) in a process of its own, with its own argv, cwd, stdout, stderr and exit
 * code; only the Python imports are shared: one interpreter under the script's shebang imports Ansible
 * once and forks a child per call. Importing Ansible is nearly all of an `ansible` call's CPU time, and
 * this file makes ~90 calls (CI time: 35 s of a 2-core machine, most of it imports).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { findProgram } from '../../src/lab/index.js';
import { loadInventory, selectHosts, toAnsibleListJson, toGraph } from '../../src/inventory/index.js';
import { label, loadCases, resolveLimit, type InventoryCase, type PatternCase } from '../fixtures/inventory/cases.js';
import { needProgram } from '../helpers/programs.js';

const RECORD = process.env['FIREBREAK_RECORD'] === '1';
const CONCURRENCY = 4;
const CALL_TIMEOUT_SEC = 30;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let env: NodeJS.ProcessEnv = {};
let home = '';

/**
 * Reads one JSON request a line ({program, args, cwd, timeout}); for each, forks a child that runs the
 * program's CLI main() as the script would (sys.argv[0] its path; stdin /dev/null; stdout and stderr to
 * files), SIGALRM after `timeout` s; answers one JSON line {code, stdout, stderr} in request order.
 */
const FORK_SERVER = `
import importlib, json, os, sys, signal
import ansible.cli.adhoc, ansible.cli.inventory
mains = {"ansible": ansible.cli.adhoc.main, "ansible-inventory": ansible.cli.inventory.main}
# What every call imports, once here (the plugin loader takes a plugin already in sys.modules as is).
for m in ["ansible.inventory.manager", "ansible.vars.manager", "ansible.template", "ansible.plugins.vars.host_group_vars"] + [
        "ansible.plugins.inventory." + p for p in ("host_list", "advanced_host_list", "script", "auto", "yaml", "ini", "toml")]:
    try:
        importlib.import_module(m)
    except Exception:
        pass
paths, scratch = json.loads(sys.argv[1]), sys.argv[2]
reply = os.fdopen(os.dup(1), "w")
out, err = os.path.join(scratch, "stdout"), os.path.join(scratch, "stderr")
for line in sys.stdin:
    req = json.loads(line)
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.chdir(req["cwd"])
            for fd, name, flags in ((0, os.devnull, os.O_RDONLY), (1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), (2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
                f = os.open(name, flags, 0o600); os.dup2(f, fd); os.close(f)
            signal.alarm(req["timeout"])
            sys.argv = [paths[req["program"]], *req["args"]]
            mains[req["program"]]()
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            if isinstance(e.code, str): print(e.code, file=sys.stderr)
        finally:
            sys.stdout.flush(); sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    with open(out, errors="surrogateescape") as o, open(err, errors="surrogateescape") as e:
        reply.write(json.dumps({"code": os.waitstatus_to_exitcode(status), "stdout": o.read(), "stderr": e.read()}) + "\\n")
    reply.flush()
`;

interface Server {
  child: ChildProcessWithoutNullStreams;
  waiting: ((r: Run) => void)[];
}
/** One fork server per core: each runs its calls one at a time. */
let servers: Server[] = [];

/** The interpreter a script's `#!` line names (`/usr/bin/python3`, or `/usr/bin/env python3`). */
function shebang(file: string): string[] {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  assert.match(first, /^#!\s*\S/, `${file} is a script with a #! line`);
  return first.slice(2).trim().split(/\s+/);
}

function startServer(scratch: string): Server {
  const paths = { ansible: findProgram('ansible')!, 'ansible-inventory': findProgram('ansible-inventory')! };
  const [python, ...pythonArgs] = shebang(paths.ansible);
  assert.deepEqual(shebang(paths['ansible-inventory']), [python, ...pythonArgs], 'one interpreter for both');
  const child = spawn(python!, [...pythonArgs, '-c', FORK_SERVER, JSON.stringify(paths), scratch], { env });
  const server: Server = { child, waiting: [] };
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => server.waiting.shift()?.(JSON.parse(line) as Run));
  child.on('exit', (code, signal) => {
    for (const w of server.waiting.splice(0))
      w({ code: 1, stdout: '', stderr: `the Ansible fork server exited (${code ?? signal}): ${stderr}` });
  });
  return server;
}

async function stopServer({ child }: Server): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin.end();
  const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** One Ansible CLI call (`ansible` or `ansible-inventory`) in `cwd`, as from the shell. */
function run(program: 'ansible' | 'ansible-inventory', args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const server = servers.reduce<Server | undefined>(
      (a, b) => (a && a.waiting.length <= b.waiting.length ? a : b),
      undefined,
    );
    if (!server || server.child.exitCode !== null || server.child.signalCode !== null)
      return resolve({ code: 1, stdout: '', stderr: 'the Ansible fork server is not running' });
    server.waiting.push(resolve);
    server.child.stdin.write(JSON.stringify({ program, args, cwd, timeout: CALL_TIMEOUT_SEC }) + '\n');
  });
}

/** Runs `tasks` with at most CONCURRENCY at a time, keeping result order. */
async function pool<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, tasks.length) }, worker));
  return out;
}

function inventoryArgs(c: InventoryCase): string[] {
  return c.sources.flatMap((s) => ['-i', s]);
}

/** Ansible's answer for one pattern: hosts in order, or its error; plus its no-match warnings. */
async function ansibleHosts(c: InventoryCase, p: PatternCase): Promise<PatternCase> {
  const limit = resolveLimit(c, p.limit);
  const args = [p.pattern, ...inventoryArgs(c), '--list-hosts', ...(limit !== undefined ? ['--limit', limit] : [])];
  const r = await run('ansible', args, c.dir);
  const flat = r.stderr.replace(/\s*\n\s*/g, ' ');
  const warnings = [...flat.matchAll(/Could not match supplied host pattern, ignoring: (\S+)/g)].map(
    (m) => `Could not match supplied host pattern, ignoring: ${m[1]}`,
  );
  const out: PatternCase = { pattern: p.pattern, ...(p.limit !== undefined ? { limit: p.limit } : {}) };
  const err = /ERROR! (.*)/.exec(r.stderr);
  if (r.code !== 0 && err) out.error = (err[1] as string).trim();
  else {
    assert.match(r.stdout, /hosts \(\d+\):/, `ansible ${args.join(' ')} failed: ${r.stderr}`);
    out.hosts = r.stdout
      .split('\n')
      .filter((l) => /^ {4}\S/.test(l))
      .map((l) => l.trim());
  }
  if (warnings.length) out.warnings = [...new Set(warnings)];
  return out;
}

async function oursHosts(c: InventoryCase, p: PatternCase): Promise<PatternCase> {
  const inv = await loadInventory(c.sources.map((s) => join(c.dir, s)));
  const warnings: string[] = [];
  const out: PatternCase = { pattern: p.pattern, ...(p.limit !== undefined ? { limit: p.limit } : {}) };
  try {
    out.hosts = selectHosts(inv, p.pattern, resolveLimit(c, p.limit), (m) => warnings.push(m)).map((h) => h.name);
  } catch (e) {
    out.error = (e as Error).message;
  }
  if (warnings.length) out.warnings = [...new Set(warnings)];
  return out;
}

describe('ansible compatibility (live ansible)', function () {
  this.timeout(120_000);

  before(function () {
    needProgram(this, 'ansible');
    needProgram(this, 'ansible-inventory');
    home = mkdtempSync(join(tmpdir(), 'firebreak-ansible-home-'));
    const cfg = join(home, 'ansible.cfg');
    writeFileSync(cfg, '[defaults]\n');
    env = {
      PATH: process.env['PATH'],
      HOME: home,
      LANG: 'C.UTF-8',
      ANSIBLE_CONFIG: cfg,
      ANSIBLE_LOCALHOST_WARNING: 'False',
      ANSIBLE_INVENTORY_UNPARSED_WARNING: 'False',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_LOCAL_TEMP: join(home, 'tmp'),
    };
    servers = Array.from({ length: Math.min(CONCURRENCY, availableParallelism()) }, (_, i) => {
      const scratch = join(home, `calls-${i}`);
      mkdirSync(scratch);
      return startServer(scratch);
    });
  });

  after(async () => {
    await Promise.all(servers.splice(0).map(stopServer));
    if (home) rmSync(home, { recursive: true, force: true });
  });

  for (const c of loadCases()) {
    describe(c.name, () => {
      it('ansible-inventory --list: same JSON', async () => {
        const r = await run('ansible-inventory', [...inventoryArgs(c), '--list'], c.dir);
        assert.equal(r.code, 0, r.stderr);
        const theirs = JSON.parse(r.stdout) as unknown;
        if (RECORD) writeFileSync(join(c.dir, 'expected-list.json'), r.stdout.trimEnd() + '\n');
        const inv = await loadInventory(c.sources.map((s) => join(c.dir, s)));
        assert.deepEqual(toAnsibleListJson(inv), theirs);
      });

      it('ansible-inventory --graph --vars: same text', async () => {
        const r = await run('ansible-inventory', [...inventoryArgs(c), '--graph', '--vars'], c.dir);
        assert.equal(r.code, 0, r.stderr);
        if (RECORD) writeFileSync(join(c.dir, 'expected-graph.txt'), r.stdout.trimEnd() + '\n');
        const inv = await loadInventory(c.sources.map((s) => join(c.dir, s)));
        assert.equal(toGraph(inv, { vars: true }), r.stdout.trimEnd());
      });

      it(`ansible PATTERN --list-hosts: same hosts, same order (${c.patterns.length} patterns)`, async () => {
        const theirs = await pool(c.patterns.map((p) => () => ansibleHosts(c, p)));
        if (RECORD) {
          const { name: _n, dir: _d, ...rest } = c;
          writeFileSync(join(c.dir, 'case.json'), JSON.stringify({ ...rest, patterns: theirs }, null, 2) + '\n');
        }
        const mismatches: string[] = [];
        for (const t of theirs) {
          const o = await oursHosts(c, t);
          const same =
            JSON.stringify(o.hosts) === JSON.stringify(t.hosts) &&
            JSON.stringify(o.warnings ?? []) === JSON.stringify(t.warnings ?? []) &&
            (t.error === undefined) === (o.error === undefined) &&
            (t.error === undefined || (o.error ?? '').includes(t.error));
          if (!same)
            mismatches.push(`${label(t)}\n  ansible:   ${JSON.stringify(t)}\n  firebreak: ${JSON.stringify(o)}`);
        }
        assert.deepEqual(mismatches, []);
      });
    });
  }
});
