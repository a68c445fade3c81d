/**
 * Inventory sources beyond INI and YAML text: executable inventory scripts (run for real with
 * /bin/sh), vault-encrypted files and inline `!vault` values, and the run-inputs snapshot that must
 * keep vaulted values out of the journal. Compared with the real ansible-inventory in
 * test/integration/inventory-sources.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { hostSnapshot, runInputsSchema, withSecretVars } from '../../src/engine/run-inputs.js';
import { loadInventory, readVaultPasswordFile } from '../../src/inventory/index.js';
import { runProgram } from '../../src/inventory/run-program.js';
import { writeUnder } from '../helpers/write-file.js';
import { encryptText, FILE, PASSWORD, V11, V12 } from '../fixtures/vault.js';

let dir = '';

const write = (rel: string, text: string, mode?: number): string => writeUnder(dir, rel, text, mode);

/** A `!vault |` block scalar at the given indentation. */
function inline(text: string, indent: number): string {
  const pad = ' '.repeat(indent);
  return `!vault |\n${text
    .split('\n')
    .map((l) => pad + l)
    .join('\n')}`;
}

/** The InputError's message and its listed issues, as one text. */
async function loadError(paths: string[], opts = {}): Promise<string> {
  try {
    await loadInventory(paths, opts);
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    return [e.message, ...e.issues.map((i) => `${i.file ?? ''}: ${i.message}`)].join('\n');
  }
  assert.fail('expected the inventory to be refused');
}

describe('inventory sources: scripts and vault', function () {
  this.timeout(20_000);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fb-inv-sources-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('executable inventory scripts', () => {
    it('runs SCRIPT --list in its directory and reads groups, children, bare lists and _meta.hostvars', async () => {
      write('data.json', '{"web": {"hosts": ["w1", "w2"], "vars": {"port": 80}}, "db": ["d1"],');
      const script = write(
        'inv.sh',
        `#!/bin/sh\n[ "$1" = --list ] || exit 3\ncat data.json\necho '"prod": {"children": ["web", "db"]}, "_meta": {"hostvars": {"w1": {"role": "lb"}}}}'\n`,
        0o755,
      );
      const inv = await loadInventory([script]);
      assert.deepEqual(
        inv.hosts.map((h) => [h.name, h.groups, h.vars]),
        [
          ['w1', ['prod', 'web'], { port: 80, role: 'lb' }],
          ['w2', ['prod', 'web'], { port: 80 }],
          ['d1', ['db', 'prod'], {}],
        ],
      );
    });

    it('without _meta asks SCRIPT --host H for each host, as Ansible does', async () => {
      const script = write(
        'inv.sh',
        `#!/bin/sh\ncase "$1" in\n--list) echo '{"g": ["a", "b"]}';;\n--host) [ "$2" = a ] && echo '{"who": "a"}';;\nesac\nexit 0\n`,
        0o755,
      );
      const inv = await loadInventory([script]);
      assert.deepEqual(
        inv.hosts.map((h) => [h.name, h.vars]),
        [
          ['a', { who: 'a' }],
          ['b', {}],
        ],
      );
    });

    it('reads vault values in the JSON the way Ansible decodes them ({"__ansible_vault": ...})', async () => {
      write('out.json', JSON.stringify({ g: { hosts: ['h'], vars: { t: { __ansible_vault: V11 } } } }));
      const script = write('inv.sh', '#!/bin/sh\n[ "$1" = --list ] && cat out.json || echo {}\n', 0o755);
      const { hosts } = await loadInventory([script], { vaultPassword: PASSWORD });
      assert.deepEqual([hosts[0]?.vars, hosts[0]?.vaultedVars], [{ t: 'incident-token-1.1' }, ['t']]);
    });

    it('a failing script is an error naming it with its stderr, never a host named after a word in it', async () => {
      const script = write('inv.sh', '#!/bin/sh\necho "cannot reach the CMDB" >&2\nexit 4\n', 0o755);
      const msg = await loadError([script]);
      assert.match(
        msg,
        /inv\.sh: inventory script failed: `.*inv\.sh --list` exited with code 4\n\s+cannot reach the CMDB/,
      );
    });

    it('invalid JSON is an error naming the script', async () => {
      const script = write('inv.sh', '#!/bin/sh\necho "[web]"\necho "oops" >&2\n', 0o755);
      const msg = await loadError([script]);
      assert.match(msg, /inv\.sh --list` printed invalid JSON[^\n]*\n\s+oops/);
    });

    it('an executable INI file without #! is read as INI (Ansible cannot exec it either)', async () => {
      const ini = write('hosts', '[web]\nweb1\n', 0o755);
      const inv = await loadInventory([ini]);
      assert.deepEqual(
        inv.hosts.map((h) => h.name),
        ['web1'],
      );
    });

    it('a program that runs too long is killed and the error says so', async () => {
      const script = write('slow.sh', '#!/bin/sh\nexec sleep 30\n', 0o755);
      const started = Date.now();
      await assert.rejects(
        runProgram(script, ['--list'], { timeoutMs: 300, maxOutputBytes: 1024 }),
        /timed out after 0\.3 s/,
      );
      assert.ok(Date.now() - started < 5000);
    });

    it('output beyond the cap is refused', async () => {
      const script = write('loud.sh', '#!/bin/sh\nhead -c 100000 /dev/zero\n', 0o755);
      await assert.rejects(runProgram(script, [], { timeoutMs: 10_000, maxOutputBytes: 1000 }), /more than 1000 bytes/);
    });
  });

  describe('inventory plugin files', () => {
    it('without ansible-inventory installed: an error naming the file and the fix', async () => {
      const file = write('aws_ec2.yml', 'plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n');
      const path = process.env['PATH'];
      process.env['PATH'] = join(dir, 'empty-bin');
      try {
        const msg = await loadError([file]);
        assert.match(
          msg,
          /aws_ec2\.yml: inventory plugin configuration \(plugin: amazon\.aws\.aws_ec2\): .*not installed \(install ansible-core/,
        );
      } finally {
        process.env['PATH'] = path;
      }
    });

    it('a plugin configuration in a .json or extension-less file is refused as Ansible refuses it', async () => {
      const file = write('inv.json', '{"plugin": "ansible.builtin.generator"}');
      assert.match(await loadError([file]), /Plugin configuration YAML file, not YAML inventory/);
    });
  });

  describe('vault', () => {
    it('decrypts inline !vault values in a YAML inventory and marks them as vaulted', async () => {
      const inv = write(
        'inv.yml',
        `all:\n  hosts:\n    h1:\n      token: ${inline(V11, 8)}\n      plain: x\n  vars:\n    nested:\n      key: ${inline(V12, 8)}\n`,
      );
      const { hosts } = await loadInventory([inv], { vaultPassword: PASSWORD });
      const h1 = hosts[0];
      assert.deepEqual(h1?.vars, { nested: { key: 'labelled-1.2 ünïcode' }, token: 'incident-token-1.1', plain: 'x' });
      assert.deepEqual(h1?.vaultedVars?.sort(), ['nested', 'token']);
    });

    it('decrypts a vaulted group_vars file and inline values in a host_vars file', async () => {
      const inv = write('hosts', '[db]\ndb1\ndb2\n');
      write('group_vars/db.yml', FILE);
      write('host_vars/db1.yml', `secret: ${inline(V11, 2)}\nopen: yes\n`);
      const { hosts, groups } = await loadInventory([inv], { vaultPassword: PASSWORD });
      assert.deepEqual(hosts[0]?.vars, { a: 1, b: 'two', secret: 'incident-token-1.1', open: true });
      assert.deepEqual(hosts[0]?.vaultedVars?.sort(), ['a', 'b', 'secret']);
      assert.deepEqual(hosts[1]?.vaultedVars?.sort(), ['a', 'b']);
      assert.deepEqual(groups.get('db')?.fileVars, { a: 1, b: 'two' });
    });

    it('reads a vault-encrypted inventory file; all its variables are vaulted', async () => {
      const inv = write('inv', encryptText('[web]\nw1 role=lb\n[web:vars]\nhttp_port=80\n', PASSWORD));
      const { hosts } = await loadInventory([inv], { vaultPassword: PASSWORD });
      assert.deepEqual(hosts[0]?.vars, { http_port: 80, role: 'lb' });
      assert.deepEqual(hosts[0]?.vaultedVars?.sort(), ['http_port', 'role']);
    });

    it('without a password: an error naming the variable, its host or group, and the file', async () => {
      const inv = write('inv.yml', `web:\n  hosts:\n    w1:\n      db_pass: ${inline(V11, 8)}\n`);
      write('group_vars/web.yml', `api_key: ${inline(V12, 2)}\n`);
      const msg = await loadError([inv]);
      assert.match(msg, /inv\.yml: variable db_pass of host w1 is vault-encrypted: no vault password given/);
      assert.match(msg, /group_vars\/web\.yml: variable api_key of group web is vault-encrypted/);
      assert.doesNotMatch(msg, /\$ANSIBLE_VAULT;|3339/);
    });

    it('without a password, a vaulted vars file is an error naming the file', async () => {
      const inv = write('hosts', 'db1\n');
      write('host_vars/db1', FILE);
      assert.match(await loadError([inv]), /host_vars\/db1: vault-encrypted file: no vault password given/);
    });

    it('a wrong password: an error naming the file, never the password or the clear value', async () => {
      const inv = write('hosts', 'db1\n');
      write('host_vars/db1.yml', FILE);
      write('group_vars/all.yml', `t: ${inline(V11, 2)}\n`);
      const msg = await loadError([inv], { vaultPassword: 'wrong-pw' });
      assert.match(msg, /host_vars\/db1\.yml: vault decryption failed: wrong vault password/);
      assert.match(msg, /group_vars\/all\.yml: variable t of group all: vault decryption failed/);
      assert.doesNotMatch(msg, /wrong-pw|incident-token/);
    });

    it('reads the password like Ansible: a file stripped, an executable run', async () => {
      assert.equal(await readVaultPasswordFile(write('pw', '  s3cret \n\n')), 's3cret');
      assert.equal(await readVaultPasswordFile(write('pw.sh', '#!/bin/sh\necho " s3cret"\n', 0o700)), ' s3cret');
      await assert.rejects(readVaultPasswordFile(write('empty', '\n')), /gives an empty password/);
      await assert.rejects(
        readVaultPasswordFile(write('bad.sh', '#!/bin/sh\nexit 2\n', 0o700)),
        /bad\.sh: .*exited with code 2/,
      );
    });
  });

  describe('run inputs', () => {
    it('the journaled snapshot leaves out vaulted values, names them, and resume puts them back', async () => {
      const inv = write('hosts', '[db]\ndb1 ansible_host=127.0.0.9\n');
      write('group_vars/db.yml', `token: ${inline(V11, 2)}\nport: 5432\n`);
      const { hosts } = await loadInventory([inv], { vaultPassword: PASSWORD });
      const snap = hostSnapshot(hosts[0]!);
      assert.deepEqual(snap, {
        name: 'db1',
        vars: { ansible_host: '127.0.0.9', port: 5432 },
        groups: ['db'],
        vaultedVars: ['token'],
      });
      assert.doesNotMatch(JSON.stringify(snap), /incident-token/);
      assert.equal(withSecretVars([snap], hosts)[0]?.vars['token'], 'incident-token-1.1');
      // The names survive the journal's schema, so resume knows to ask for the inventory again.
      assert.deepEqual(runInputsSchema.shape.hosts.parse([snap])[0]?.vaultedVars, ['token']);
    });
  });
});
