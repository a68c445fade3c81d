/**
 * Hostile values through every way a runbook author quotes a template, on real sshd hosts: values from a
 * params file, `-e` (quoted and plain), inventory group_vars, and output registered from the host itself
 * (a file's bytes and a file name an attacker chose) are written by `printf` / `cat` in a bare word,
 * "…", '…', here-documents (unquoted and quoted delimiter), `$( )` in "…", a `[ ]` test and arithmetic.
 * Each output must hold the value byte for byte, and none of the `touch` injections may have run. A value
 * that would end a here-document early fails its step without running it.
 */
import assert from 'node:assert/strict';
import { existsSync, promises as fs, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { onlyRunDir, readJournal, runCli, sshRun } from './run-cli.js';

/** The classic injection strings, each aimed at its own marker file in `dir`. */
function hostile(tag: string, dir: string): string {
  const m = (n: number) => `${dir}/M-${tag}-${n}`;
  return [
    tag,
    `$(touch ${m(1)})`,
    `\`touch ${m(2)}\``,
    `; touch ${m(3)}`,
    `&& touch ${m(4)}`,
    `| touch ${m(5)}`,
    `\ntouch ${m(6)}\n`,
    `'; touch ${m(7)}; '`,
    `"; touch ${m(8)}; "`,
    `\\"$(touch ${m(9)})\\"`,
    `\\'; touch ${m(10)} #`,
    '\\ \\\\ \\n $((1)) ${HOME} * ? [a] ~ -n',
    "it's",
    'EOFx',
    '\ttab',
  ].join(' ');
}

const CONTEXTS: Record<string, (v: string, out: string) => string> = {
  bare: (v, out) => `printf '%s' ${v} > ${out}`,
  double: (v, out) => `printf '%s' "${v}" > ${out}`,
  single: (v, out) => `printf '%s' '${v}' > ${out}`,
  heredoc: (v, out) => `cat > ${out} <<EOF\n${v}\nEOF`,
  'heredoc-quoted': (v, out) => `cat > ${out} <<'EOF'\n${v}\nEOF`,
  'cmdsub-in-double': (v, out) => `v="$(printf '%s.' ${v})"; printf '%s' "\${v%.}" > ${out}`,
  // compared with what the bare step wrote (read with a trailing dot: $( ) strips newlines)
  test: (v, out) =>
    `V="$(cat out/bare-SRC-{{inventory_hostname}}; printf .)"; if [ ${v} = "\${V%.}" ]; then printf ok > ${out}; fi`,
};

/** What each context writes for a value. */
const expected = (context: string, value: string): string =>
  context.startsWith('heredoc') ? `${value}\n` : context === 'test' ? 'ok' : value;

describe('firebreak run: hostile values in every quoting context (real CLI, real sshd)', function () {
  this.timeout(120_000);
  let fleet: Fleet;
  let work: string;
  let scratch: string;
  const values: Record<string, string> = {};
  /** Template expression of each source. */
  const SOURCES: Record<string, string> = {
    params: '{{params.p}}',
    extra: '{{params.e}}',
    plain: '{{params.e2}}',
    inventory: '{{hostile_var}}',
    registered: '{{planted.stdout}}',
    filename: '{{names.stdout}}',
  };

  before(async function () {
    this.timeout(60_000);
    fleet = await startFleet({ hosts: 2 });
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-e2e-quoting-'));
    await fs.chmod(work, 0o755);
    scratch = path.join(work, 'scratch');
    await fs.mkdir(path.join(scratch, 'out'), { recursive: true, mode: 0o755 });
    await fs.mkdir(path.join(scratch, 'names'), { mode: 0o755 });
    await fs.chmod(scratch, 0o777);
    await fs.chmod(path.join(scratch, 'out'), 0o777);
    values.params = hostile('params', scratch);
    values.extra = hostile('extra', scratch);
    values.plain = `$(touch ${scratch}/M-plain-1) \`touch ${scratch}/M-plain-2\`; touch ${scratch}/M-plain-3 | touch ${scratch}/M-plain-4`;
    values.inventory = hostile('inventory', scratch);
    // What a compromised host hands back: file contents (with a byte that is not UTF-8) and a file name.
    const planted = Buffer.concat([Buffer.from(hostile('registered', scratch)), Buffer.from([0xff, 0x41])]);
    await fs.writeFile(path.join(scratch, 'planted'), planted);
    values.registered = new TextDecoder().decode(planted);
    // A file name cannot hold `/`: its injections touch markers relative to the steps' directory.
    const name = `$(touch M-name-1);\`touch M-name-2\`'"\n&& touch M-name-3; '$(touch M-name-4)'`;
    await fs.writeFile(path.join(scratch, 'names', name), '');
    values.filename = `${name}\n`;
  });
  after(async () => {
    await fleet?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  /** The runbook: register the host's values, then every context × source; or `only` these steps after registering. */
  async function writeInputs(only?: string[]): Promise<{ runbook: string; inventory: string; params: string }> {
    const inv = path.join(work, 'inv');
    await fs.mkdir(path.join(inv, 'group_vars'), { recursive: true });
    const inventory = path.join(inv, 'inventory.ini');
    await fs.copyFile(fleet.inventoryPath, inventory);
    await fs.writeFile(
      path.join(inv, 'group_vars', 'all.yaml'),
      `hostile_var: ${JSON.stringify(values.inventory)}\nhalf: 21\n`,
    );
    const params = path.join(work, 'params.yaml');
    await fs.writeFile(params, `p: ${JSON.stringify(values.params)}\n`);
    const steps: string[] = [
      `- {name: planted, shell: "cat {{params.dir}}/planted", register: planted}`,
      `- {name: names, shell: "ls {{params.dir}}/names", register: names}`,
    ];
    for (const [context, line] of only ? [] : Object.entries(CONTEXTS)) {
      const lines = Object.entries(SOURCES).map(([src, expr]) =>
        line(expr, `out/${context}-${src}-{{inventory_hostname}}`).replaceAll('SRC', src),
      );
      lines.unshift('cd {{params.dir}} || exit 1');
      steps.push(`- name: ${context}\n  shell: ${JSON.stringify(lines.join('\n'))}`);
    }
    if (!only)
      steps.push(
        `- {name: arithmetic, shell: "printf '%s' $(( {{half}} * 2 )) > {{params.dir}}/out/arith-{{inventory_hostname}}"}`,
      );
    steps.push(...(only ?? []));
    const runbook = path.join(work, 'quoting.yaml');
    await fs.writeFile(
      runbook,
      [
        'name: quoting',
        'params:',
        '  dir: {type: string}',
        '  p: {type: string}',
        '  e: {type: string}',
        '  e2: {type: string}',
        'phases:',
        '  collect:',
        ...steps.map((s) => s.replace(/^/gm, '    ')),
        '',
      ].join('\n'),
    );
    return { runbook, inventory, params };
  }

  const run = (inputs: { runbook: string; inventory: string; params: string }, runs: string) =>
    runCli([
      'run',
      inputs.runbook,
      '-i',
      inputs.inventory,
      '--known-hosts',
      fleet.knownHostsPath,
      '--runs-dir',
      path.join(work, runs),
      '--params',
      inputs.params,
      '-e',
      `dir=${scratch}`,
      '-e',
      // a string param takes the -e text as written (newlines and all)
      `e=${values.extra}`,
      '-e',
      `e2=${values.plain}`,
    ]);

  const markers = () => readdirSync(scratch).filter((f) => f.startsWith('M-'));

  it('every value arrives byte for byte in every context, and no injection runs', async () => {
    const result = await run(await writeInputs(), 'runs-ok');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(markers(), [], 'marker files were created: an injection ran');
    for (const host of fleet.hosts.map((h) => h.name)) {
      const onHost = await sshRun(fleet, host, `ls -A ${scratch}`);
      assert.equal(onHost.stdout.split('\n').filter((f) => f.startsWith('M-')).length, 0, onHost.stdout);
      for (const context of Object.keys(CONTEXTS))
        for (const src of Object.keys(SOURCES)) {
          const file = path.join(scratch, 'out', `${context}-${src}-${host}`);
          assert.ok(existsSync(file), `${context}/${src} on ${host} wrote nothing`);
          assert.equal(
            readFileSync(file).toString('hex'),
            Buffer.from(expected(context, values[src] as string)).toString('hex'),
            `${context}/${src} on ${host}`,
          );
        }
      assert.equal(readFileSync(path.join(scratch, 'out', `arith-${host}`), 'utf8'), '42');
    }
  });

  it('a host value with the here-document delimiter on a line fails that step, and runs nothing', async () => {
    await fs.writeFile(path.join(scratch, 'planted'), `x\nEOF\ntouch ${scratch}/M-delimiter\n`);
    const result = await run(
      await writeInputs([
        `- name: delimiter\n  shell: ${JSON.stringify(`cat > {{params.dir}}/out/delim-{{inventory_hostname}} <<EOF\n{{planted.stdout}}\nEOF`)}`,
      ]),
      'runs-delimiter',
    );
    assert.equal(result.code, 3, result.stdout + result.stderr);
    assert.deepEqual(markers(), []);
    assert.equal(readdirSync(path.join(scratch, 'out')).filter((f) => f.startsWith('delim-')).length, 0);
    const failed = readJournal(onlyRunDir(path.join(work, 'runs-delimiter'))).filter(
      (e) =>
        e.type === 'step.finished' && e.step === 'delimiter' && (e.outcome as { status: string }).status === 'failed',
    );
    assert.equal(failed.length, fleet.hosts.length);
    assert.match(String((failed[0]?.outcome as { message?: string }).message), /delimiter \(EOF\)/);
  });
});
