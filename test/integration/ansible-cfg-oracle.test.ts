/**
 * Ansible as the oracle for ansible.cfg: every case of test/fixtures/ansible-cfg/cases.ts laid out in a
 * temp directory, `ansible-config dump --only-changed -t all` run there with the case's HOME and
 * variables, and its answer (the file it read, forks, inventory, remote_user, private_key_file, and
 * the ssh connection's timeout, host_key_checking and ssh_args) compared with the case's `expect`, which
 * the unit harness holds firebreak to. Error cases must make ansible-config fail too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { absoluteExpect, CFG_CASES, layOut, type CfgCase, type CfgExpect } from '../fixtures/ansible-cfg/cases.js';
import { needProgram } from '../helpers/programs.js';

interface Dump {
  code: number;
  stdout: string;
  stderr: string;
}

function ansibleConfig(cwd: string, env: Record<string, string>): Promise<Dump> {
  const clean = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', ANSIBLE_NOCOLOR: '1', ...env };
  return new Promise((resolve) => {
    execFile(
      'ansible-config',
      ['dump', '--only-changed', '-t', 'all'],
      { cwd, env: clean, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** `NAME(origin) = value` entries of one block of the dump (values may run over several lines). */
function entries(block: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^(\w+)\((.*?)\) = ([\s\S]*?)(?=^\w+\(.*?\) = |\n\n|$(?![\s\S]))/gm;
  for (const m of block.matchAll(re)) out.set(m[1] as string, (m[3] as string).replace(/\n$/, ''));
  return out;
}

/** The dump as the values a case expects. */
function answer(stdout: string): CfgExpect {
  const base = entries(stdout.split('\nCONNECTION:')[0] as string);
  const sshBlock = /\nssh:\n_+\n([\s\S]*?)(?:\n\n|$)/.exec(stdout)?.[1] ?? '';
  const ssh = entries(sshBlock + '\n');
  const file = base.get('CONFIG_FILE');
  const out: CfgExpect = { file: file && file !== 'None' ? file : null };
  const inv = base.get('DEFAULT_HOST_LIST');
  if (inv) out.inventory = JSON.parse(inv.replaceAll("'", '"')) as string[];
  const forks = base.get('DEFAULT_FORKS');
  if (forks) out.forks = Number(forks);
  const key = base.get('DEFAULT_PRIVATE_KEY_FILE');
  if (key) out.privateKeyFile = key;
  const user = ssh.get('remote_user');
  if (user) out.remoteUser = user;
  const timeout = ssh.get('timeout');
  if (timeout) out.timeout = Number(timeout);
  const hkc = ssh.get('host_key_checking');
  if (hkc) out.hostKeyChecking = hkc === 'True';
  const args = ssh.get('ssh_args');
  if (args) out.sshArgs = args;
  return out;
}

describe('ansible.cfg: ansible-config as the oracle for the case table', function () {
  this.timeout(180_000);
  before(function () {
    needProgram(this, 'ansible-config');
  });

  const oracleCases = CFG_CASES.filter((c) => !c.ansibleDiffers);
  for (const c of oracleCases) {
    it(c.name, async () => {
      const l = layOut(c);
      try {
        const r = await ansibleConfig(l.cwd, { ...l.env, ANSIBLE_LOCAL_TEMP: path.join(l.home, 'tmp') });
        check(c, r, l.root);
      } finally {
        rmSync(l.root, { recursive: true, force: true });
      }
    });
  }
});

function check(c: CfgCase, r: Dump, root: string): void {
  if (c.error) {
    assert.notEqual(r.code, 0, `ansible-config accepted what firebreak refuses:\n${r.stdout}`);
    return;
  }
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(answer(r.stdout), { file: null, ...absoluteExpect(c.expect ?? {}, root) }, r.stdout);
  if (c.warning) assert.match(r.stderr, /world writable directory/);
}
