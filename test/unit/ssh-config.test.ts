/**
 * ~/.ssh/config resolution against OpenSSH itself as the oracle: for tricky configs (Include, Match
 * originalhost/user, tokens, first value wins, Ansible's -o options on top), what firebreak resolves
 * must equal what `ssh -G` prints and, for the settings ssh -G leaves unexpanded (IdentityFile,
 * CertificateFile, ProxyCommand), what `ssh -v` says it uses. The oracle never touches the network: its
 * ProxyCommand is `true` (the config's own, or ours given first on the command line).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ansibleSshCommand } from '../../src/inventory/index.js';
import { connectTimeoutFor } from '../../src/transport/resolve-connection.js';
import {
  parseSshG,
  resolveSshConfig,
  resolveSshConfigs,
  SshConfigError,
  sshConfigView,
} from '../../src/transport/ssh-config.js';
import { expandTokens, localTokens } from '../../src/transport/ssh-tokens.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/ssh-config');

/** What `ssh -v` reports it would use, before it talks to any server. */
function sshVerbose(args: string[], destination: string) {
  const r = spawnSync('ssh', ['-v', '-o', 'BatchMode=yes', ...args, '--', destination, 'true'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  const lines = r.stderr.split(/\r?\n/);
  const grab = (re: RegExp) => lines.flatMap((l) => (re.exec(l)?.[1] !== undefined ? [re.exec(l)?.[1] as string] : []));
  return {
    identityFiles: grab(/^debug1: identity file (.*) type -?\d+$/).filter((f) => !f.endsWith('-cert')),
    certificateFiles: grab(/^debug1: certificate file (.*) type -?\d+$/),
    proxyCommand: grab(/^debug1: Executing proxy command: exec (.*)$/)[0],
  };
}

function sshG(args: string[], destination: string): Map<string, string[]> {
  return parseSshG(execFileSync('ssh', ['-G', ...args, '--', destination], { encoding: 'utf8' }));
}

describe('ssh config resolution (ssh -G and ssh -v as the oracle)', function () {
  this.timeout(60_000);
  let dir: string;
  let config: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fb-sshcfg-'));
    config = path.join(dir, 'main.conf');
    writeFileSync(config, readFileSync(path.join(fixtures, 'main.conf'), 'utf8').replaceAll('FIXTURE', fixtures));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: { destination: string; args: string[]; why: string }[] = [
    { destination: 'web-01', args: [], why: 'Host glob, HostName with %h, two IdentityFiles with tokens' },
    { destination: 'web-01', args: ['-o', 'Port=2300', '-o', 'User=ops'], why: "Ansible's -o beat the config" },
    { destination: 'db7', args: ['-o', 'User=admin'], why: 'Match originalhost+user: ProxyCommand, CertificateFile' },
    { destination: 'db7', args: [], why: 'Match originalhost without the user: %C in IdentityFile' },
    { destination: 'node.lab', args: [], why: 'ProxyJump chain, HostKeyAlias, accept-new' },
    { destination: 'inc', args: [], why: 'Include: HostName, GlobalKnownHostsFile, StrictHostKeyChecking no' },
    { destination: 'plain', args: [], why: "nothing matches: ssh's defaults" },
  ];
  for (const c of cases) {
    it(`${c.destination} ${c.args.join(' ')}: ${c.why}`, async () => {
      const args = ['-F', config, ...c.args];
      const view = await resolveSshConfig(c.destination, args, localTokens());
      const g = sshG(args, c.destination);
      const one = (k: string) => g.get(k)?.[0];
      assert.equal(view.hostname, one('hostname'));
      assert.equal(view.user, one('user'));
      assert.equal(String(view.port), one('port'));
      assert.deepEqual(view.proxyJump, one('proxyjump') ? (one('proxyjump') as string).split(',') : []);
      assert.deepEqual(view.userKnownHostsFiles, (one('userknownhostsfile') ?? '').split(' '));
      assert.deepEqual(view.globalKnownHostsFiles, (one('globalknownhostsfile') ?? '').split(' '));
      assert.equal(view.identitiesOnly, one('identitiesonly') === 'yes');
      assert.deepEqual(view.kexAlgorithms, (one('kexalgorithms') ?? '').split(','));

      const hasProxy = !!one('proxycommand');
      const seen = sshVerbose(hasProxy ? args : ['-o', 'ProxyCommand=true', ...args], c.destination);
      assert.deepEqual(view.identityFiles, seen.identityFiles, 'identity files as ssh expands them');
      assert.deepEqual(view.certificateFiles, seen.certificateFiles, 'certificate files as ssh expands them');
      if (hasProxy) assert.equal(view.proxyCommand, seen.proxyCommand, 'proxy command as ssh runs it');
      else assert.equal(view.proxyCommand, undefined);
    });
  }

  it('resolves many destinations in one shell exactly as one by one; a refused one is its own error', async () => {
    // 120 items: three shells of up to 50; quoting-hostile names and arguments among them.
    const items = Array.from({ length: 120 }, (_, i) => {
      const c = cases[i % cases.length]!;
      return { destination: c.destination, args: ['-F', config, ...c.args] };
    });
    const marker = path.join(dir, 'ran');
    items[7] = { destination: 'plain', args: ['-F', config, '-o', `ProxyCommand=true '$(touch ${marker})'; \`x\``] };
    items[60] = { destination: 'plain', args: ['-F', config, '-o', 'NoSuchOption=1'] };
    const batch = await resolveSshConfigs(items, localTokens());
    assert.equal(batch.length, items.length);
    const single = await Promise.all(
      items.map((i) => resolveSshConfig(i.destination, i.args, localTokens()).catch((e: unknown) => e)),
    );
    assert.deepEqual(batch, single);
    assert.ok(batch[60] instanceof SshConfigError && !batch[60].missingSsh);
    assert.match((batch[60] as SshConfigError).message, /NoSuchOption/i);
    assert.equal((batch[7] as { proxyCommand?: string }).proxyCommand, `true '$(touch ${marker})'; \`x\``);
    assert.ok(!existsSync(marker), 'nothing in an argument ran in the shell');
    // No OpenSSH client: each item says so.
    const missing = await resolveSshConfigs(items.slice(0, 3), localTokens(), '/nonexistent/ssh');
    assert.ok(missing.every((m) => m instanceof SshConfigError && m.missingSsh));
  });

  it('one ssh -G answers for hosts a config treats alike (the same as asking each), never when it could differ', async () => {
    const conf = (name: string, text: string) => {
      const f = path.join(dir, name);
      writeFileSync(f, text);
      return f;
    };
    mkdirSync(path.join(dir, 'inc.d'), { recursive: true });
    writeFileSync(path.join(dir, 'inc.d', '10-all.conf'), 'Host *\n  ServerAliveInterval 7\n');
    const alike = conf('alike.conf', `Include ${dir}/inc.d/*.conf\nHost *\n  User ops\n  ConnectTimeout 9\n`);
    // A wrapper that logs each call, then runs the real ssh.
    const log = path.join(dir, 'calls.log');
    const ssh = conf('ssh-logged', `#!/bin/sh\necho x >> ${log}\nexec ssh "$@"\n`);
    chmodSync(ssh, 0o755);
    const fleet = (config: string) =>
      Array.from({ length: 60 }, (_, i) => ({
        destination: `10.0.${Math.floor(i / 10)}.${i % 10}`,
        args: ['-F', config, '-o', `Port=${2200 + (i % 7)}`, '-o', 'IdentityFile=/k'],
      }));
    const calls = async (items: { destination: string; args: string[] }[]) => {
      writeFileSync(log, '');
      const got = await resolveSshConfigs(items, localTokens(), ssh);
      const n = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
      const each = await Promise.all(items.map((i) => resolveSshConfig(i.destination, i.args, localTokens())));
      assert.deepEqual(got, each, 'the same views as one ssh -G per host');
      return n;
    };
    assert.equal(await calls(fleet(alike)), 1, 'one ssh -G for 60 hosts a host-independent config treats alike');
    // A different second option splits the group; a destination ssh would rewrite (case) is asked itself.
    const mixed = fleet(alike);
    mixed[5] = { ...mixed[5]!, args: [...mixed[5]!.args, '-o', 'User=root'] };
    mixed[9] = { ...mixed[9]!, destination: 'Web-9.Example' };
    assert.equal(await calls(mixed), 3);
    for (const [name, text] of [
      ['match.conf', 'Match host 10.0.1.*\n  User other\n'],
      ['host.conf', 'Host 10.0.2.*\n  Port 2300\n'],
      ['token.conf', 'Host *\n  IdentityFile ~/.ssh/id_%h\n'],
      ['canon.conf', 'CanonicalizeHostname yes\n'],
      ['inc-match.conf', `Include ${dir}/inc2.d/*\n`],
    ] as const) {
      mkdirSync(path.join(dir, 'inc2.d'), { recursive: true });
      writeFileSync(path.join(dir, 'inc2.d', 'x'), 'Match user nobody\n  Port 1\n');
      assert.equal(await calls(fleet(conf(name, text))), 60, `${name}: each host asked`);
    }
  });

  it("reads StrictHostKeyChecking back in the config's words (ssh -G prints true/false)", async () => {
    const inc = await resolveSshConfig('inc', ['-F', config], localTokens());
    assert.equal(inc.strictHostKeyChecking, 'no');
    const yes = await resolveSshConfig('x', ['-F', config, '-o', 'StrictHostKeyChecking=yes'], localTokens());
    assert.equal(yes.strictHostKeyChecking, 'yes');
    const lab = await resolveSshConfig('node.lab', ['-F', config], localTokens());
    assert.equal(lab.strictHostKeyChecking, 'accept-new');
    assert.equal(lab.hostKeyAlias, 'lab-%n', 'ssh -G prints HostKeyAlias unexpanded; firebreak only reports it');
  });

  it("builds Ansible's ssh command: inventory variables beat ~/.ssh/config, ssh_args beat both", async () => {
    const host = {
      name: 'web-01',
      groups: [],
      vars: { ansible_port: 2300, ansible_user: 'inv', ansible_ssh_common_args: `-F ${config} -o Port=9999` },
    };
    const cmd = ansibleSshCommand(host, { sshArgs: '-o User=cfg-user' });
    assert.equal(cmd.destination, 'web-01');
    const view = await resolveSshConfig(cmd.destination, cmd.args, localTokens());
    assert.equal(view.port, 2300, 'ansible_port comes before the common args and the config');
    assert.equal(view.user, 'cfg-user', 'ssh_args come first of all, as in Ansible');
    assert.equal(view.hostname, '10.9.web-01.1', 'the rest still comes from the config');
  });

  it("ansible_timeout beats --connect-timeout, which beats the ssh config's ConnectTimeout", async () => {
    const spec = (vars: Record<string, unknown>) => {
      const cmd = ansibleSshCommand({
        name: 'web-01',
        groups: [],
        vars: { ansible_ssh_common_args: `-F ${config}`, ...vars },
      });
      return resolveSshConfig(cmd.destination, cmd.args, localTokens()).then((v) => ({
        name: 'web-01',
        address: v.hostname,
        port: v.port,
        user: v.user,
        sshCommand: cmd,
        ...(v.connectTimeout !== undefined ? { connectTimeoutMs: v.connectTimeout * 1000 } : {}),
      }));
    };
    const fromInventory = await spec({ ansible_timeout: 3 });
    assert.equal(connectTimeoutFor(fromInventory, 20_000), 3000, 'the host variable wins');
    const fromConfig = await spec({});
    assert.equal(fromConfig.connectTimeoutMs, 7000, "the config's ConnectTimeout 7");
    assert.equal(connectTimeoutFor(fromConfig, 20_000), 20_000, 'the command line beats the config');
    assert.equal(connectTimeoutFor(fromConfig, undefined), 7000, 'the config beats the default');
    assert.equal(connectTimeoutFor({ ...fromConfig, connectTimeoutMs: undefined }, undefined), 10_000);
  });

  it('says so when there is no OpenSSH client, and when ssh refuses the arguments', async () => {
    await assert.rejects(
      resolveSshConfig('h', [], localTokens(), '/nonexistent/ssh'),
      (e: Error & { missingSsh?: boolean }) => {
        assert.equal(e.missingSsh, true);
        assert.match(e.message, /not installed/);
        return true;
      },
    );
    await assert.rejects(
      resolveSshConfig('h', ['-o', 'NoSuchOption=1'], localTokens()),
      (e: Error & { missingSsh?: boolean }) => {
        assert.equal(e.missingSsh, false);
        assert.match(e.message, /NoSuchOption|Bad configuration option/i);
        return true;
      },
    );
  });

  it('expands tokens like OpenSSH: %% and unknown tokens, ~ and ${VAR} only in file settings', () => {
    const v = { ...localTokens(), hostname: 'h.example', originalHost: 'h', port: 2222, remoteUser: 'r' };
    assert.equal(expandTokens('%h:%p %r@%n %%h %Z', v), 'h.example:2222 r@h %h %Z');
    process.env.FB_TOKEN_TEST = 'keys';
    assert.equal(
      expandTokens('~/${FB_TOKEN_TEST}/%L', v, { tilde: true }),
      `${v.localHome}/keys/${v.localHostname.split('.')[0]}`,
    );
    assert.equal(expandTokens('~/x', v), '~/x');
    delete process.env.FB_TOKEN_TEST;
    const view = sshConfigView(new Map([['identityfile', ['%d/id-%C']]]), 'h', v);
    assert.match(view.identityFiles[0] as string, /\/id-[0-9a-f]{40}$/);
  });
});
