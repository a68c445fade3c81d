import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { InputError } from '../../src/core/index.js';
import {
  EvidenceStore,
  evidencePaths,
  readCustody,
  verifyEvidence,
  type Artifact,
  type ArtifactInput,
  type Manifest,
} from '../../src/evidence/index.js';
import { REPO } from '../integration/run-cli.js';
import '../helpers/keyring.js';

const collector = { user: 'alice', machine: 'controller1' };
const now = () => new Date('2024-01-31T10:15:00.000Z');
const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const cmd = (host: string, value: string, extra: Partial<ArtifactInput> = {}): ArtifactInput => ({
  host,
  step: 'collect',
  source: { kind: 'command', value },
  ...extra,
});
const mode = (path: string) => statSync(path).mode & 0o777;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fb-evidence-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const open = (options = {}) => EvidenceStore.open(dir, { collector, now, fsync: false, ...options });
const manifestOf = (): Manifest => JSON.parse(readFileSync(evidencePaths(dir).manifest, 'utf8')) as Manifest;
const actions = () => readCustody(evidencePaths(dir).custody).events.map((e) => e.action);

describe('evidence store', () => {
  it('stores bytes, streams and files by content hash and lists them in a signed manifest', async () => {
    const spilled = join(dir, 'spilled.stdout');
    writeFileSync(spilled, 'root pts/0 10.0.0.9\n');
    const store = await open();
    const a = await store.addBytes(cmd('web01', 'w -h'), 'alice pts/1\n');
    const b = await store.addStream(
      { host: 'web02', step: 'collect', source: { kind: 'file', value: '/var/log/auth.log' } },
      Readable.from([Buffer.from('line 1\n'), 'line 2\n']),
    );
    const c = await store.addFile(cmd('web03', 'who'), spilled);
    const d = await store.addBytes(cmd('web04', 'w -h'), 'alice pts/1\n'); // same content as a

    assert.deepEqual(
      [a, b, c, d].map((x) => [x.id, x.host, x.size, x.sha256AtRest]),
      [
        ['ev-000001', 'web01', 12, sha('alice pts/1\n')],
        ['ev-000002', 'web02', 14, sha('line 1\nline 2\n')],
        ['ev-000003', 'web03', 20, sha('root pts/0 10.0.0.9\n')],
        ['ev-000004', 'web04', 12, sha('alice pts/1\n')],
      ],
    );
    assert.deepEqual(b.source, { kind: 'file', value: '/var/log/auth.log' });
    assert.equal(a.collectedAt, '2024-01-31T10:15:00.000Z');
    assert.deepEqual(a.collector, collector);
    assert.equal(a.match, null);
    assert.equal(readFileSync(store.objectPath(b.sha256AtRest), 'utf8'), 'line 1\nline 2\n');
    const objects = readdirSync(evidencePaths(dir).objects).flatMap((d) =>
      readdirSync(join(evidencePaths(dir).objects, d)),
    );
    assert.equal(objects.length, 3, 'same content twice is one object');

    const fin = await store.finalize();
    assert.equal(fin.artifacts, 4);
    assert.equal(fin.key, 'run');
    const m = manifestOf();
    assert.deepEqual(m.artifacts, [a, b, c, d]);
    assert.equal(m.signing.publicKeySha256, fin.publicKeySha256);
    assert.deepEqual(actions(), ['opened', 'stored', 'stored', 'stored', 'stored', 'signed']);
    const signed = readCustody(evidencePaths(dir).custody).events.at(-1);
    assert.equal(signed?.actor, 'alice@controller1');
    assert.equal(signed?.action === 'signed' && signed.publicKeySha256, fin.publicKeySha256);

    const result = await verifyEvidence(dir);
    assert.deepEqual(result.problems, []);
    assert.equal(result.ok, true);
    assert.equal(result.signature, 'valid');
    assert.equal(result.key?.source, 'stored');
    await assert.rejects(store.addBytes(cmd('web01', 'late'), 'x'), /finalized/);
  });

  it('streams a 200 MB artifact to disk with bounded memory', async function () {
    this.timeout(120_000);
    const chunk = 64 * 1024;
    // 200 MiB: far above the RSS noise of uncollected garbage (up to ~30 MiB seen on a loaded machine).
    const chunks = 3200;
    const expected = createHash('sha256');
    for (let i = 0; i < chunks; i++) expected.update(Buffer.alloc(chunk, i % 251));
    const store = await open();
    const tmp = evidencePaths(dir).tmp;
    const rss0 = process.memoryUsage().rss;
    let peakRss = rss0;
    let maxLag = 0;
    async function* generate(): AsyncGenerator<Buffer> {
      for (let i = 0; i < chunks; i++) {
        // How far the producer is ahead of what the store has written: a store buffering the
        // whole stream would let this grow to the full size.
        const [temp] = readdirSync(tmp);
        const written = temp ? statSync(join(tmp, temp)).size : 0;
        maxLag = Math.max(maxLag, i * chunk - written);
        if (i % 16 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
        yield Buffer.alloc(chunk, i % 251); // a fresh buffer each time, so retained chunks would show in RSS
      }
    }
    const a = await store.addStream(cmd('web01', 'cat /var/log/big.log'), generate());
    assert.equal(a.size, chunk * chunks);
    assert.equal(a.sha256AtRest, expected.digest('hex'));
    assert.equal(statSync(store.objectPath(a.sha256AtRest)).size, chunk * chunks);
    assert.ok(maxLag <= 2 * chunk, `producer ran ${maxLag} bytes ahead of the disk`);
    // Garbage chunks not yet collected make RSS noisy (0-30 MiB seen); holding the stream would add ~200.
    assert.ok(
      peakRss - rss0 < 64 * 1024 * 1024,
      `RSS grew by ${((peakRss - rss0) / 1048576).toFixed(1)} MiB while streaming 200 MiB`,
    );
    store.close();
  });

  it('marks an artifact whose hash at the source differs, tells the caller, and logs it', async () => {
    const store = await open();
    const good = await store.addBytes(
      cmd('web01', 'lsmod', { sha256AtSource: `  ${sha('mods\n').toUpperCase()}\n` }),
      'mods\n',
    );
    const late = await store.addBytes(cmd('web01', 'ps', { sha256AtSource: Promise.resolve(sha('ps\n')) }), 'ps\n');
    const bad = await store.addBytes(cmd('web02', 'lsmod', { sha256AtSource: sha('other\n') }), 'mods\n');
    const garbage = await store.addBytes(
      cmd('web03', 'lsmod', { sha256AtSource: 'sha256sum: command not found' }),
      'mods\n',
    );
    assert.deepEqual(
      [good, late, bad, garbage].map((a) => [a.match, a.sha256AtSource]),
      [
        [true, sha('mods\n')],
        [true, sha('ps\n')],
        [false, sha('other\n')],
        [false, 'sha256sum: command not found'],
      ],
    );
    const mismatches = readCustody(evidencePaths(dir).custody).events.filter((e) => e.action === 'mismatch');
    assert.deepEqual(
      mismatches.map((e) => e.action === 'mismatch' && e.id),
      [bad.id, garbage.id],
    );
    await store.finalize();
    const result = await verifyEvidence(dir);
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.problems.map((p) => [p.code, p.artifact?.id, p.artifact?.host]),
      [
        ['source-mismatch', bad.id, 'web02'],
        ['source-mismatch', garbage.id, 'web03'],
      ],
    );
  });

  it('creates owner-only directories and read-only objects whatever the umask', async () => {
    const old = process.umask(0o000);
    try {
      const store = await open();
      const a = await store.addBytes(cmd('web01', 'id'), 'uid=0\n');
      await store.finalize();
      const p = evidencePaths(dir);
      for (const d of [p.root, p.objects, p.tmp, join(p.objects, a.sha256AtRest.slice(0, 2))])
        assert.equal(mode(d), 0o700, d);
      for (const f of [store.objectPath(a.sha256AtRest), p.manifest, p.signature, p.publicKey])
        assert.equal(mode(f), 0o400, f);
      assert.equal(mode(p.custody), 0o600);
    } finally {
      process.umask(old);
    }
  });

  it('a failed stream leaves no object, no temp file and no entry, and is logged', async () => {
    const store = await open();
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from('partial');
      throw new Error('channel closed');
    }
    await assert.rejects(store.addStream(cmd('web01', 'cat /etc/shadow'), broken()), /channel closed/);
    await assert.rejects(store.addFile(cmd('web01', 'x'), join(dir, 'no-such-file')), /ENOENT/);
    await assert.rejects(
      store.addBytes(cmd('web01', 'y', { sha256AtSource: Promise.reject(new Error('exec lost')) }), 'y'),
      /exec lost/,
    );
    assert.deepEqual(readdirSync(evidencePaths(dir).tmp), []);
    assert.deepEqual(readdirSync(evidencePaths(dir).objects), []);
    assert.deepEqual(actions(), ['opened', 'store_failed', 'store_failed', 'store_failed']);
    await store.finalize();
    assert.deepEqual(manifestOf().artifacts, []);
    assert.equal((await verifyEvidence(dir)).ok, true);
  });

  it('a crash between the temp write and the rename leaves no entry pointing at a missing object', async () => {
    const child = await new Promise<{ signal: string | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'test/fixtures/evidence/crash-writer.ts', dir],
        { cwd: REPO, timeout: 30_000 },
        (err, _out, stderr) => resolve({ signal: (err as { signal?: string } | null)?.signal ?? null, stderr }),
      );
    });
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    const p = evidencePaths(dir);
    const [temp] = readdirSync(p.tmp);
    assert.ok(temp, 'the killed write left its temp file');
    assert.equal(
      statSync(join(p.tmp, temp)).size,
      16 * 64 * 1024,
      'the temp file was complete: the crash came before the rename',
    );

    const crashed = await verifyEvidence(dir);
    assert.equal(crashed.artifactsFrom, 'custody');
    assert.equal(crashed.artifacts, 1);
    assert.deepEqual(
      crashed.problems.map((x) => [x.code, x.severity]),
      [
        ['manifest-missing', 'error'],
        ['stray-file', 'warning'],
      ],
    );

    // Reopening resumes: the stored artifact is kept, ids continue, and the evidence can be signed.
    const store = await open();
    assert.deepEqual(
      store.artifacts.map((a) => a.id),
      ['ev-000001'],
    );
    const next = await store.addBytes(cmd('web01', 'uptime'), 'up 3 days\n');
    assert.equal(next.id, 'ev-000002');
    await store.finalize();
    const result = await verifyEvidence(dir);
    assert.equal(result.ok, true, JSON.stringify(result.problems));
    assert.deepEqual(
      manifestOf().artifacts.map((a: Artifact) => a.source.value),
      ['uname -a', 'uptime'],
    );
  });

  it('a failed rename into objects/ leaves no entry pointing at a missing object', async () => {
    const store = await open();
    const content = 'blocked\n';
    // A file where the object's directory should be: the move into objects/ fails.
    writeFileSync(join(evidencePaths(dir).objects, sha(content).slice(0, 2)), '');
    await assert.rejects(store.addBytes(cmd('web01', 'cat /etc/motd'), content), /EEXIST|ENOTDIR/);
    assert.deepEqual(store.artifacts, []);
    assert.deepEqual(actions(), ['opened', 'store_failed']);
    await store.finalize();
    const result = await verifyEvidence(dir);
    assert.equal(result.ok, true, JSON.stringify(result.problems));
    assert.deepEqual(
      result.problems.map((p) => p.code),
      ['stray-file'],
    );
  });

  it("signs with the responder's key file and writes its public key", async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyFile = join(dir, 'responder.pem');
    const pubFile = join(dir, 'responder.pub.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }));
    const store = await open({ signingKeyFile: keyFile });
    await store.addBytes(cmd('web01', 'w'), 'w\n');
    const fin = await store.finalize();
    assert.equal(fin.key, 'file');
    assert.equal(readFileSync(evidencePaths(dir).publicKey, 'utf8'), readFileSync(pubFile, 'utf8'));
    assert.equal(manifestOf().signing.key, 'file');
    const result = await verifyEvidence(dir, { publicKeyFile: pubFile });
    assert.equal(result.ok, true);
    assert.deepEqual(result.key, { source: 'given', file: pubFile, sha256: fin.publicKeySha256 });
  });

  it('refuses a signing key that is missing or not Ed25519 before storing anything', async () => {
    const rsa = join(dir, 'rsa.pem');
    writeFileSync(
      rsa,
      generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    await assert.rejects(
      open({ signingKeyFile: rsa }),
      (e: unknown) => e instanceof InputError && /rsa key; an Ed25519 key is required/.test(e.message),
    );
    await assert.rejects(
      open({ signingKeyFile: join(dir, 'nope.pem') }),
      (e: unknown) => e instanceof InputError && /cannot load the evidence signing key/.test(e.message),
    );
    assert.equal(existsSync(evidencePaths(dir).root), false);
  });

  it('rejects an artifact without host, step or source', async () => {
    const store = await open();
    await assert.rejects(
      store.addBytes({ host: '', step: 's', source: { kind: 'command', value: 'w' } }, 'x'),
      /host must be/,
    );
    await assert.rejects(
      store.addBytes({ host: 'h', step: 's', source: { kind: 'url' as 'file', value: 'w' } }, 'x'),
      /source.kind/,
    );
    store.close();
  });
});
