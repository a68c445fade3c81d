/**
 * ansible.cfg discovery and reading against the case table (test/fixtures/ansible-cfg/cases.ts), which
 * the integration oracle also runs through `ansible-config`; then precedence of the command line over
 * the configuration, the host_key_checking decision, and ssh_args ahead of the inventory's ssh args.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Command } from 'commander';
import { configHostKeyPolicy, useAnsibleConfig } from '../../src/cli/ansible-config.js';
import { InputError } from '../../src/core/errors.js';
import { connectionSpec, readAnsibleSettings, type AnsibleSettings } from '../../src/inventory/index.js';
import { parseIniConfig } from '../../src/inventory/ini-config.js';
import { absoluteExpect, CFG_CASES, layOut, type CfgExpect } from '../fixtures/ansible-cfg/cases.js';

/** The settings as the plain values a case expects. */
function values(s: AnsibleSettings): CfgExpect {
  const out: CfgExpect = { file: s.file ?? null };
  for (const k of [
    'inventory',
    'remoteUser',
    'privateKeyFile',
    'forks',
    'timeout',
    'hostKeyChecking',
    'sshArgs',
  ] as const)
    if (s[k] !== undefined) (out as Record<string, unknown>)[k] = s[k].value;
  return out;
}

describe('ansible.cfg: discovery and values (case table)', () => {
  for (const c of CFG_CASES) {
    it(c.name, () => {
      const l = layOut(c);
      try {
        const read = () => readAnsibleSettings({ env: l.env, cwd: l.cwd, home: l.home, etcFile: l.etcFile });
        if (c.error) {
          assert.throws(read, (e: unknown) => e instanceof InputError && (c.error as RegExp).test(e.message));
          return;
        }
        const s = read();
        assert.deepEqual(values(s), { file: null, ...absoluteExpect(c.expect ?? {}, l.root) });
        if (c.warning) assert.match(s.warnings.join('\n'), c.warning);
        else assert.deepEqual(s.warnings, []);
      } finally {
        rmSync(l.root, { recursive: true, force: true });
      }
    });
  }

  it('says where each value came from: file and line, or the variable', () => {
    const c = { name: 'sources', files: { 'cwd/ansible.cfg': '[defaults]\n\nforks = 25\n' } };
    const l = layOut(c);
    try {
      const s = readAnsibleSettings({
        env: { ...l.env, ANSIBLE_REMOTE_USER: 'ir' },
        cwd: l.cwd,
        home: l.home,
        etcFile: l.etcFile,
      });
      assert.deepEqual(s.forks?.source, {
        kind: 'file',
        file: `${l.cwd}/ansible.cfg`,
        line: 3,
        section: 'defaults',
        key: 'forks',
      });
      assert.deepEqual(s.remoteUser, { value: 'ir', source: { kind: 'env', name: 'ANSIBLE_REMOTE_USER' } });
    } finally {
      rmSync(l.root, { recursive: true, force: true });
    }
  });

  it('reports every bad line of a file at once', () => {
    assert.throws(
      () => parseIniConfig('[a]\nx\n[a]\ny = 1\ny = 2\n', '/f.cfg'),
      (e: unknown) =>
        e instanceof InputError &&
        e.issues.map((i) => i.line).join(',') === '2,3,5' &&
        /cannot read \/f\.cfg/.test(e.message),
    );
  });

  it('keeps configparser line endings and blank-line rules: CRLF, trailing blank lines dropped', () => {
    const doc = parseIniConfig('[defaults]\r\nssh_args = a\r\n  b\r\n\r\n\r\nforks = 2\r\n', '/f.cfg');
    assert.equal(doc.sections.get('defaults')?.get('ssh_args')?.value, 'a\nb');
    assert.equal(doc.sections.get('defaults')?.get('forks')?.value, '2');
  });
});

describe('ansible.cfg: precedence (command line > env > file > default)', () => {
  /** Parse `argv` for a command like `run` whose defaults come from a case's layout. */
  async function parse(argv: string[], files: Record<string, string>, env: Record<string, string> = {}) {
    const l = layOut({ name: 'precedence', files, env });
    try {
      let seen: Record<string, unknown> = {};
      const cmd = new Command('run')
        .exitOverride()
        .option('-i, --inventory <path>', 'inventory', (v: string, p: string[] = []) => [...p, v])
        .option('-u, --user <user>', 'user')
        .option('-f, --forks <n>', 'forks', Number, 100)
        .option('--connect-timeout <s>', 'timeout', Number, 10)
        .action((opts: Record<string, unknown>) => {
          seen = opts;
        });
      useAnsibleConfig(cmd, ['inventory', 'user', 'forks', 'connectTimeout'], () => ({
        env: l.env,
        cwd: l.cwd,
        home: l.home,
        etcFile: l.etcFile,
      }));
      const stderr = process.stderr.write;
      process.stderr.write = () => true; // the hook's "ansible config: ..." note
      try {
        await cmd.parseAsync(argv, { from: 'user' });
      } finally {
        process.stderr.write = stderr;
      }
      return { opts: seen, cwd: l.cwd };
    } finally {
      rmSync(l.root, { recursive: true, force: true });
    }
  }
  const cfg = { 'cwd/ansible.cfg': '[defaults]\ninventory = h.ini\nremote_user = cfg\nforks = 25\ntimeout = 3\n' };

  it('fills what the command line left out, forks=25 included', async () => {
    const { opts, cwd } = await parse([], cfg);
    assert.deepEqual([opts.inventory, opts.user, opts.forks, opts.connectTimeout], [[`${cwd}/h.ini`], 'cfg', 25, 3]);
  });

  it('never replaces an option given on the command line, even one equal to its default', async () => {
    const { opts } = await parse(['-i', 'x.ini', '-u', 'cli', '--forks', '100', '--connect-timeout', '10'], cfg);
    assert.deepEqual([opts.inventory, opts.user, opts.forks, opts.connectTimeout], [['x.ini'], 'cli', 100, 10]);
  });

  it('an environment variable beats the file; firebreak defaults stay when nothing is set', async () => {
    const withEnv = await parse([], cfg, { ANSIBLE_FORKS: '7' });
    assert.equal(withEnv.opts.forks, 7);
    const none = await parse([], {});
    assert.deepEqual([none.opts.inventory, none.opts.user, none.opts.forks], [undefined, undefined, 100]);
  });

  it('a bad value stops the command before it runs', async () => {
    await assert.rejects(parse([], { 'cwd/ansible.cfg': '[defaults]\nforks = 0\n' }), /forks in .*ansible\.cfg: "0"/);
  });
});

describe('ansible.cfg: host_key_checking and ssh_args', () => {
  const file = (line: number, key: string) => ({
    kind: 'file' as const,
    file: '/p/ansible.cfg',
    line,
    section: 'defaults',
    key,
  });
  const off: AnsibleSettings = {
    hostKeyChecking: { value: false, source: file(4, 'host_key_checking') },
    warnings: [],
  };

  it('host_key_checking = False is ignored, loudly, without --trust-inventory-host-key-options', () => {
    const p = configHostKeyPolicy(off, { trusted: false, acceptNew: false });
    assert.equal(p.acceptNew, false);
    assert.match(
      p.warnings.join(),
      /\/p\/ansible\.cfg:4 \(\[defaults\] host_key_checking\) turns host_key_checking off: ignored/,
    );
  });

  it('with the flag it means --accept-new (never "no checking"), with a warning naming file and line', () => {
    const p = configHostKeyPolicy(off, { trusted: true, acceptNew: false });
    assert.equal(p.acceptNew, true);
    assert.match(p.warnings.join(), /ansible\.cfg:4 .*accepted and recorded; a changed key is still refused/);
  });

  it('host_key_checking = True or unset changes nothing; --accept-new stays as given', () => {
    const on: AnsibleSettings = {
      hostKeyChecking: { value: true, source: file(4, 'host_key_checking') },
      warnings: [],
    };
    assert.deepEqual(configHostKeyPolicy(on, { trusted: true, acceptNew: false }), { acceptNew: false, warnings: [] });
    assert.deepEqual(configHostKeyPolicy(undefined, { trusted: false, acceptNew: true }), {
      acceptNew: true,
      warnings: [],
    });
  });

  it("ssh_args that would switch off host-key checking are named like the inventory's", () => {
    const s: AnsibleSettings = {
      sshArgs: { value: '-o StrictHostKeyChecking=no', source: file(9, 'ssh_args') },
      warnings: [],
    };
    assert.match(
      configHostKeyPolicy(s, { trusted: false, acceptNew: false }).warnings.join(),
      /ansible\.cfg:9 .*StrictHostKeyChecking=no.*ignored/,
    );
  });

  it("ssh_args come before the inventory's ssh args, whose jump host and options win", () => {
    const host = {
      name: 'h',
      groups: [],
      vars: { ansible_ssh_common_args: '-o StrictHostKeyChecking=yes -J inv@bastion' },
    };
    const spec = connectionSpec(host, { sshArgs: '-o StrictHostKeyChecking=accept-new -J cfg@jump' });
    assert.equal(
      spec.sshCommonArgs,
      '-o StrictHostKeyChecking=accept-new -J cfg@jump -o StrictHostKeyChecking=yes -J inv@bastion',
    );
    assert.deepEqual(spec.jump, ['inv@bastion']);
    const plain = connectionSpec({ name: 'p', groups: [], vars: {} }, { sshArgs: '-o ProxyJump=cfg@jump' });
    assert.deepEqual([plain.sshCommonArgs, plain.jump], ['-o ProxyJump=cfg@jump', ['cfg@jump']]);
  });
});
