/**
 * What the OpenSSH transport can do and the ssh2 one cannot, against real sshd configured for it:
 * a user certificate (sshd TrustedUserCAKeys), a host certificate trusted through an @cert-authority
 * line only (sshd HostCertificate, StrictHostKeyChecking=yes), and a post-quantum-only key exchange.
 * Every CA and key is made per run with ssh-keygen in a temp dir that is removed afterwards.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConnectionError } from '../../src/core/errors.js';
import { createSshTransport } from '../../src/transport/index.js';
import type { Transport } from '../../src/core/transport.js';
import { startFleet, type Fleet } from '../helpers/fleet.js';
import { keygen, signKey, startCertFleet, Transports } from '../helpers/openssh.js';

const isReason = (reason: string) => (e: unknown) => e instanceof ConnectionError && e.reason === reason;

describe('openssh transport beyond ssh2: certificates and post-quantum kex (real ssh and sshd)', function () {
  this.timeout(60_000);
  const ts = new Transports();
  const ssh2: Transport[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fb-os-ca-'));
  const f = (name: string) => path.join(dir, name);
  const fleets: Fleet[] = [];

  after(async () => {
    await ts.closeAll();
    await Promise.all(ssh2.map((t) => t.close()));
    await Promise.all(fleets.map((x) => x.stop()));
    await fs.rm(dir, { recursive: true, force: true });
  });

  describe('certificates', () => {
    let fleet: Fleet;
    before(async function () {
      this.timeout(120_000);
      fleet = await startCertFleet(dir);
      fleets.push(fleet);
    });

    it('a user certificate authenticates over openssh; ssh2 is refused (auth)', async () => {
      const h = fleet.hosts[0]!;
      await keygen(f('user_key'), 'firebreak-test-user'); // not in authorized_keys
      await signKey(f('user_ca'), f('user_key.pub'), 'responder', 'root');
      const certArgs = ['-o', `CertificateFile=${f('user_key-cert.pub')}`];
      const t = ts.make(h, { knownHostsFiles: [fleet.knownHostsPath] }, f('user_key'), { args: certArgs });
      await t.connect();
      assert.equal((await t.exec('id -un', { timeoutMs: 10_000 })).stdout, 'root\n');
      // Control: the same key without its certificate is refused, so the certificate is what let us in.
      await fs.copyFile(f('user_key'), f('bare_key'));
      await fs.chmod(f('bare_key'), 0o600);
      const bare = ts.make(h, { knownHostsFiles: [fleet.knownHostsPath] }, f('bare_key'));
      await assert.rejects(bare.connect(), isReason('auth'));
      const viaSsh2 = createSshTransport(
        { name: h.name, address: h.address, port: h.port, user: 'root', privateKeyFile: f('user_key') },
        { knownHostsFile: fleet.knownHostsPath, agent: false },
      );
      ssh2.push(viaSsh2);
      await assert.rejects(viaSsh2.connect(), isReason('auth'));
    });

    it('a host certificate is trusted through an @cert-authority line only, with strict checking', async () => {
      const h = fleet.hosts[0]!;
      const caLine = async (ca: string) =>
        `@cert-authority [${h.address}]:${h.port} ${(await fs.readFile(`${ca}.pub`, 'utf8')).trim()}\n`;
      const file = f('known_hosts_ca');
      await fs.writeFile(file, await caLine(f('host_ca')));
      const t = ts.make(h, { knownHostsFiles: [file], acceptNew: false }, fleet.clientKeyPath);
      await t.connect();
      assert.match(t.hostKey ?? '', /^ssh-ed25519-cert-v01@openssh\.com SHA256:/);
      assert.equal((await t.exec('hostname', { timeoutMs: 10_000 })).stdout, `${h.name}\n`);
      assert.equal(await fs.readFile(file, 'utf8'), await caLine(f('host_ca')), 'nothing recorded');
      // Control: another CA's line does not vouch for this host.
      await keygen(f('other_ca'));
      const otherFile = f('known_hosts_other_ca');
      await fs.writeFile(otherFile, await caLine(f('other_ca')));
      const other = ts.make(h, { knownHostsFiles: [otherFile] }, fleet.clientKeyPath);
      await assert.rejects(other.connect(), isReason('hostkey-unknown'));
      const viaSsh2 = createSshTransport(
        { name: h.name, address: h.address, port: h.port, user: 'root', privateKeyFile: fleet.clientKeyPath },
        { knownHostsFile: file, agent: false },
      );
      ssh2.push(viaSsh2);
      await assert.rejects(viaSsh2.connect(), isReason('hostkey-unknown'));
    });
  });

  describe('post-quantum key exchange only', () => {
    const offered = execFileSync('ssh', ['-Q', 'kex'], { encoding: 'utf8' }).split('\n');
    const kex = offered.includes('mlkem768x25519-sha256')
      ? 'mlkem768x25519-sha256'
      : 'sntrup761x25519-sha512@openssh.com';
    let fleet: Fleet;
    before(async function () {
      this.timeout(120_000);
      fleet = await startFleet({ hosts: 1, sshdConfigExtra: [`KexAlgorithms ${kex}`] });
      fleets.push(fleet);
    });

    it(`openssh connects with ${kex}; ssh2 fails in the handshake`, async () => {
      const h = fleet.hosts[0]!;
      const t = ts.make(h, { knownHostsFiles: [fleet.knownHostsPath] }, fleet.clientKeyPath);
      await t.connect();
      assert.equal((await t.exec('echo pq', { timeoutMs: 10_000 })).stdout, 'pq\n');
      const viaSsh2 = createSshTransport(
        { name: h.name, address: h.address, port: h.port, user: 'root', privateKeyFile: fleet.clientKeyPath },
        { knownHostsFile: fleet.knownHostsPath, agent: false },
      );
      ssh2.push(viaSsh2);
      // The ssh2 path cannot: it says why and names the fix.
      await assert.rejects(viaSsh2.connect(), (e: unknown) => {
        assert.ok(e instanceof ConnectionError);
        assert.equal(e.reason, 'other');
        assert.match(
          e.message,
          new RegExp(
            `^${h.name}: cannot connect to ${h.address.replace(/\./g, '\\.')}:${h.port}: Handshake failed: no matching key exchange algorithm: .*post-quantum.*--transport openssh`,
          ),
        );
        return true;
      });
    });
  });
});
