/**
 * Vaulted inventory values in a real run (real CLI, real sshd): the hosts receive the clear values
 * (a step hashes one on the host), and the clear values land nowhere in the run directory — not in
 * run.inputs (which names the vaulted variables instead), not in the journaled commands or output,
 * not in the reports — and, though the step's command carries them, in no process command line on
 * the hosts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { encryptText } from '../fixtures/vault.js';
import { allFiles, localProcessArgs, onlyRunDir, readJournal, runCli, startCli } from './run-cli.js';

const PASSWORD = 'vault-pw-for-the-run';
const TOKEN = 'IR-TOKEN-7f3a9c';
const CASE_SECRET = 'case-secret-42x';

describe('firebreak run with vaulted inventory values (real CLI, real sshd)', function () {
  this.timeout(60_000);
  let fleet: Fleet;
  let work: string;

  before(async function () {
    this.timeout(60_000);
    fleet = await startFleet({ hosts: 2 });
    work = mkdtempSync(path.join(os.tmpdir(), 'fb-e2e-vault-'));
  });
  after(async () => {
    await fleet?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  /** An inventory directory whose group_vars hold the two vaulted values, and the vault password file. */
  async function vaultedInventory(): Promise<{ inv: string; pwFile: string }> {
    const inv = path.join(work, 'inv');
    await fs.mkdir(path.join(inv, 'group_vars', 'all'), { recursive: true });
    await fs.copyFile(fleet.inventoryPath, path.join(inv, 'hosts.ini'));
    const inline = encryptText(TOKEN, PASSWORD).trimEnd().replace(/\n/g, '\n  ');
    await fs.writeFile(path.join(inv, 'group_vars', 'all', '01-inline.yml'), `incident_token: !vault |\n  ${inline}\n`);
    await fs.writeFile(
      path.join(inv, 'group_vars', 'all', '02-file.yml'),
      encryptText(`case_secret: ${CASE_SECRET}\n`, PASSWORD),
    );
    const pwFile = path.join(work, 'vault-pass');
    await fs.writeFile(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
    return { inv, pwFile };
  }

  it('output too big for memory: redacted on its way to disk, and capped at FIREBREAK_MAX_OUTPUT_BYTES', async () => {
    const { inv, pwFile } = await vaultedInventory();
    const runbook = path.join(work, 'big.yaml');
    // 6 MB, past the 4 MiB kept in memory: the rest streams to the output file, the token in every line.
    await fs.writeFile(
      runbook,
      'name: big-output\nphases:\n  collect:\n    - name: flood\n      shell: yes {{incident_token}} | head -c 6000000\n',
    );
    const runs = path.join(work, 'runs-big');
    const run = (extra: Record<string, string>) =>
      runCli(
        ['run', runbook, '-i', path.join(inv, 'hosts.ini'), '--vault-password-file', pwFile].concat([
          '--known-hosts',
          fleet.knownHostsPath,
          '--runs-dir',
          runs,
          '--limit',
          fleet.hosts[0]!.name,
        ]),
        { env: extra },
      );
    const r = await run({ FIREBREAK_MAX_OUTPUT_BYTES: '1000000' });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const runDir = onlyRunDir(runs);
    const out = await fs.readFile(path.join(runDir, 'hosts', fleet.hosts[0]!.name, '01-collect-flood.stdout'));
    assert.equal(out.length, 1_000_000, 'the file stops at the cap');
    assert.ok(!out.includes(TOKEN), 'the token is redacted in the spilled file');
    assert.equal(out.toString('latin1'), '***\n'.repeat(250_000));
    const finished = readJournal(runDir).find((e) => e.type === 'step.finished') as unknown as {
      outcome: { outputCapped?: string };
    };
    assert.match(
      finished.outcome.outputCapped ?? '',
      /^output capped \(stdout: 5\.7 MiB printed, the first 976\.6 KiB kept;/,
    );
    assert.match(r.stdout, /flood \| OK .*\[output capped \(stdout: 5\.7 MiB printed/);
  });

  for (const transport of ['ssh2', 'openssh'])
    it(`hosts get the clear values; the run directory never holds them (--transport ${transport})`, async () => {
      const { inv, pwFile } = await vaultedInventory();
      const runbook = path.join(work, 'vaulted.yaml');
      await fs.writeFile(
        runbook,
        [
          'name: vaulted-values',
          'phases:',
          '  collect:',
          '    - name: use the secrets',
          '      shell: printf %s {{incident_token}} | sha256sum; echo "{{case_secret}}"; sleep 1.5',
        ].join('\n') + '\n',
      );
      const runs = path.join(work, `runs-${transport}`);
      const cli = startCli([
        'run',
        runbook,
        '-i',
        path.join(inv, 'hosts.ini'),
        '--vault-password-file',
        pwFile,
        '--known-hosts',
        fleet.knownHostsPath,
        '--runs-dir',
        runs,
        '--transport',
        transport,
      ]);
      // Every command line on the machine while the step runs (the hosts' processes are in our pid
      // namespace): the step's command carries the secrets, so it goes to the hosts on stdin, not in
      // the exec request. Seeing its `sleep` proves we looked at the right moment.
      const leaks = new Set<string>();
      let sawStep = 0;
      for (let i = 0; i < 80 && cli.child.exitCode === null; i++) {
        for (const line of await localProcessArgs()) {
          if (line.includes(TOKEN) || line.includes(CASE_SECRET)) leaks.add(line.split(' ')[0] ?? '');
          if (line === 'sleep 1.5') sawStep++;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const r = await cli.done;
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(sawStep > 0, "never saw the step's sleep: the command line check looked at nothing");
      assert.deepEqual([...leaks], [], 'programs whose command line held a vaulted value');
      const runDir = onlyRunDir(runs);

      // The hosts had the clear token: its hash came back (the hash is no secret).
      const sha = createHash('sha256').update(TOKEN).digest('hex');
      const files = await allFiles(runDir);
      const stdouts = files.filter((f) => f.file.endsWith('.stdout'));
      assert.equal(stdouts.length, fleet.hosts.length);
      for (const f of stdouts) assert.equal(f.bytes.toString('utf8'), `${sha}  -\n***\n`);

      // Nowhere in the run directory, in any file; nor printed.
      for (const f of files) {
        const text = f.bytes.toString('utf8');
        assert.ok(!text.includes(TOKEN), `${f.file} holds the vaulted token`);
        assert.ok(!text.includes(CASE_SECRET), `${f.file} holds the vaulted case secret`);
      }
      assert.ok(!(r.stdout + r.stderr).includes(TOKEN));

      // run.inputs names what it left out, so resume can ask for the inventory again.
      const inputs = readJournal(runDir).find((e) => e.type === 'run.inputs') as unknown as {
        inputs: { hosts: { name: string; vars: Record<string, unknown>; vaultedVars?: string[] }[] };
      };
      for (const h of inputs.inputs.hosts) {
        assert.deepEqual(h.vaultedVars?.sort(), ['case_secret', 'incident_token']);
        assert.equal(h.vars['incident_token'], undefined);
        assert.equal(typeof h.vars['ansible_host'], 'string');
      }
    });
});
