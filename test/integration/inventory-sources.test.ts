/**
 * Inventory scripts, plugin files and vault against the real Ansible: an inventory directory that
 * mixes INI, YAML, two executable scripts (with and without `_meta`), a vault-encrypted inventory
 * file, a vault-encrypted group_vars file and inline `!vault` values (made here by the real
 * ansible-vault) must give `firebreak inventory list --json` exactly what `ansible-inventory -i DIR
 * --list --vault-password-file F` prints; plugin files (generator; constructed over an INI source)
 * the same as ansible-inventory. Skipped only when ansible is not installed (failed under CI).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory, toAnsibleListJson } from '../../src/inventory/index.js';
import { decryptVault } from '../../src/inventory/vault.js';
import { needProgram } from '../helpers/programs.js';
import { writeUnder } from '../helpers/write-file.js';
import { runCli } from './run-cli.js';

const PASSWORD = 'correct horse battery';

let work = '';
let env: Record<string, string> = {};

function run(cmd: string, args: string[], cwd = work): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: { PATH: process.env['PATH'], ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function ansibleList(sources: string[], ...extra: string[]): Promise<unknown> {
  const r = await run('ansible-inventory', [...sources.flatMap((s) => ['-i', s]), '--list', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as unknown;
}

const write = (rel: string, text: string, mode?: number): string => writeUnder(work, rel, text, mode);

/** `ansible-vault encrypt_string` output (`!vault |` and the indented vault text), for a YAML value. */
async function encryptString(value: string, vaultId = ''): Promise<string> {
  const id = vaultId
    ? ['--vault-id', `${vaultId}@${join(work, 'vault-pass')}`]
    : ['--vault-password-file', 'vault-pass'];
  const r = await run('ansible-vault', ['encrypt_string', ...id, value]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trimEnd();
}

async function encryptFile(rel: string): Promise<void> {
  const r = await run('ansible-vault', ['encrypt', '--vault-password-file', 'vault-pass', rel]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(readFileSync(join(work, rel), 'utf8'), /^\$ANSIBLE_VAULT;1\.1;AES256\n/);
}

describe('inventory scripts, plugins and vault vs the real ansible-inventory', function () {
  this.timeout(120_000);
  const saved: Record<string, string | undefined> = {};

  before(function () {
    needProgram(this, 'ansible-inventory');
    needProgram(this, 'ansible-vault');
    work = mkdtempSync(join(tmpdir(), 'fb-inv-ansible-'));
    const cfg = join(work, 'ansible.cfg');
    writeFileSync(cfg, '[defaults]\n');
    env = {
      HOME: work,
      LANG: 'C.UTF-8',
      ANSIBLE_CONFIG: cfg,
      ANSIBLE_LOCALHOST_WARNING: 'False',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_LOCAL_TEMP: join(work, 'tmp'),
    };
    // Plugin files run ansible-inventory from this process: the same clean configuration.
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    writeFileSync(join(work, 'vault-pass'), `${PASSWORD}\n`);
  });

  after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('decrypts fresh ansible-vault encrypt_string output, formats 1.1 and 1.2', async () => {
    const body = (s: string) => s.replace(/^!vault \|\n/, '').replace(/^ +/gm, '');
    assert.equal(decryptVault(body(await encryptString('fresh-1.1')), PASSWORD, 'x'), 'fresh-1.1');
    const v12 = body(await encryptString('fresh 1.2 ✓', 'ops'));
    assert.match(v12, /^\$ANSIBLE_VAULT;1\.2;AES256;ops\n/);
    assert.equal(decryptVault(v12, PASSWORD, 'x'), 'fresh 1.2 ✓');
  });

  describe('a directory of INI, YAML, scripts and vault', () => {
    const dir = () => join(work, 'inv');

    before(async () => {
      write('inv/01-web', '[web]\nweb1 ansible_host=10.0.0.1\nweb2\n[web:vars]\nhttp_port=80\n');
      write('inv/02-db.yml', 'db:\n  hosts:\n    db1:\n      role: primary\n  vars:\n    db_port: 5432\n');
      write(
        'inv/03-cmdb.py',
        [
          '#!/usr/bin/env python3',
          'import json, sys',
          'if sys.argv[1:] == ["--list"]:',
          '    print(json.dumps({"cache": {"hosts": ["cache1", "cache2"], "vars": {"tier": "memory"}},',
          '                      "web": ["web3"], "edge": {"children": ["cache"]},',
          '                      "_meta": {"hostvars": {"cache1": {"mem": 4}, "web3": {"from_cmdb": True}}}}))',
          'else:',
          '    print("{}")',
        ].join('\n') + '\n',
        0o755,
      );
      write(
        'inv/04-legacy.sh',
        '#!/bin/sh\ncase "$1" in\n--list) echo \'{"legacy": ["old1", "old2"]}\';;\n' +
          '--host) [ "$2" = old1 ] && echo \'{"os": "rhel6"}\' || echo \'{}\';;\nesac\n',
        0o755,
      );
      write('inv/05-secret', '[vaulted]\nhidden1 secret_role=bastion\n');
      await run('ansible-vault', ['encrypt', '--vault-password-file', 'vault-pass', 'inv/05-secret']);
      write('inv/group_vars/db.yml', 'db_password: hunter2\nnested:\n  key: value\n');
      await encryptFile('inv/group_vars/db.yml');
      write(
        'inv/host_vars/web1.yml',
        `api_token: ${(await encryptString('tok-123', 'prod')).replace(/\n/g, '\n  ')}\n`,
      );
    });

    it('firebreak inventory list --json equals ansible-inventory --list --vault-password-file', async () => {
      const theirs = await ansibleList([dir()], '--vault-password-file', join(work, 'vault-pass'));
      const pwScript = write('vault-pass.sh', `#!/bin/sh\necho '${PASSWORD}'\n`, 0o700);
      const r = await runCli(['inventory', 'list', '--json', '-i', dir(), '--vault-password-file', pwScript]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), theirs);
      // What the comparison covers: every source kind, the vaulted values in clear or as Ansible shows them.
      const hv = (theirs as { _meta: { hostvars: Record<string, Record<string, unknown>> } })._meta.hostvars;
      assert.equal(hv['db1']?.['db_password'], 'hunter2');
      assert.equal(hv['old1']?.['os'], 'rhel6');
      assert.equal(hv['hidden1']?.['secret_role'], 'bastion');
      assert.match(JSON.stringify(hv['web1']?.['api_token']), /__ansible_vault/);
      assert.equal(hv['cache1']?.['mem'], 4);
    });

    it('the loaded hosts carry the decrypted values and name the vaulted variables', async () => {
      const inv = await loadInventory([dir()], { vaultPassword: PASSWORD });
      const web1 = inv.hosts.find((h) => h.name === 'web1');
      assert.equal(web1?.vars['api_token'], 'tok-123');
      assert.deepEqual(web1?.vaultedVars, ['api_token']);
      assert.deepEqual(inv.hosts.find((h) => h.name === 'hidden1')?.vaultedVars, ['secret_role']);
    });

    it('without a vault password: exit 2, naming the vaulted inventory file, no secret printed', async () => {
      const r = await runCli(['inventory', 'list', '--json', '-i', dir()], {
        env: { ANSIBLE_VAULT_PASSWORD_FILE: '' },
      });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /vault-encrypted file: no vault password given[^\n]*\n[^\n]*05-secret/);
      assert.doesNotMatch(r.stdout + r.stderr, /hunter2|tok-123/);
    });
  });

  describe('inventory plugin files', () => {
    it('ansible.builtin.generator: the same inventory as ansible-inventory', async () => {
      const file = write(
        'plugins/generator.yml',
        [
          'plugin: ansible.builtin.generator',
          'hosts:',
          '  name: "{{ operation }}_{{ application }}_{{ environment }}_runner"',
          '  parents:',
          '    - name: "{{ operation }}_{{ application }}_{{ environment }}"',
          '      parents:',
          '        - name: "{{ operation }}_{{ application }}"',
          '          vars: {op: "{{ operation }}"}',
          '      vars: {env: "{{ environment }}"}',
          'layers:',
          '  operation: [build, launch]',
          '  environment: [dev, prod]',
          '  application: [web]',
        ].join('\n') + '\n',
      );
      const inv = await loadInventory([file]);
      assert.equal(inv.hosts.length, 4);
      assert.deepEqual(toAnsibleListJson(inv), await ansibleList([file]));
    });

    it('ansible.builtin.constructed over an INI source: groups and composed vars as ansible-inventory', async () => {
      const hosts = write('constructed/hosts', '[web]\nw1 tier=front\nw2 tier=back\n');
      const file = write(
        'constructed/constructed.yml',
        'plugin: ansible.builtin.constructed\nstrict: true\ncompose:\n  tier_upper: tier | upper\n' +
          'keyed_groups:\n  - key: tier\n    prefix: tier\n',
      );
      const inv = await loadInventory([hosts, file]);
      assert.deepEqual(
        inv.hosts.map((h) => [h.name, h.vars['tier_upper'], h.groups]),
        [
          ['w1', 'FRONT', ['tier_front', 'web']],
          ['w2', 'BACK', ['tier_back', 'web']],
        ],
      );
      assert.deepEqual(toAnsibleListJson(inv), await ansibleList([hosts, file]));
    });

    it('a plugin ansible-inventory cannot read is an error naming the file and its stderr', async () => {
      const file = write('plugins/broken.yml', 'plugin: ansible.builtin.generator\nlayers: 7\n');
      await assert.rejects(loadInventory([file]), (e: Error & { issues?: { message: string; file?: string }[] }) => {
        const issue = e.issues?.[0];
        assert.equal(issue?.file, file);
        assert.match(
          issue?.message ?? '',
          /inventory plugin ansible\.builtin\.generator failed: `ansible-inventory .*` exited/,
        );
        return true;
      });
    });
  });
});
