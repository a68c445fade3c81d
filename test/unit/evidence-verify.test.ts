import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { InputError } from '../../src/core/index.js';
import {
  EvidenceStore,
  evidencePaths,
  formatVerifyResult,
  readCustody,
  verifyEvidence,
  type Artifact,
  type VerifyResult,
} from '../../src/evidence/index.js';
import { runCli } from '../integration/run-cli.js';
import '../helpers/keyring.js';

const collector = { user: 'alice', machine: 'controller1' };

let dir: string;
let paths: ReturnType<typeof evidencePaths>;
let arts: Artifact[];

/** A finalized run: four artifacts, two of them sharing one object (or only the first, `small`). */
async function makeEvidence(options: { signingKeyFile?: string; small?: boolean } = {}): Promise<void> {
  const store = await EvidenceStore.open(dir, { collector, fsync: false, signingKeyFile: options.signingKeyFile });
  arts = [
    await store.addBytes(
      { host: 'web01', step: 'collect', source: { kind: 'command', value: 'ps auxwwwf' } },
      'PID TTY\n1 ?\n',
    ),
  ];
  if (!options.small) {
    arts.push(
      await store.addBytes(
        { host: 'web02', step: 'collect', source: { kind: 'file', value: '/etc/passwd' } },
        'root:x:0:0::/root:/bin/bash\n',
      ),
      await store.addBytes(
        { host: 'web03', step: 'collect', source: { kind: 'file', value: '/etc/passwd' } },
        'root:x:0:0::/root:/bin/bash\n',
      ),
      await store.addBytes(
        { host: 'web01', step: 'collect', source: { kind: 'command', value: 'uname -a' } },
        'Linux web01 6.1.0\n',
      ),
    );
  }
  await store.finalize();
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fb-evverify-'));
  paths = evidencePaths(dir);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** XOR one byte of a sealed (0400) file in place. */
function flip(file: string, offset: number, mask = 0x01): void {
  chmodSync(file, 0o600);
  const bytes = readFileSync(file);
  bytes[offset] = (bytes[offset] as number) ^ mask;
  writeFileSync(file, bytes);
}

const codes = (r: VerifyResult) => r.problems.map((p) => p.code);
const objectOf = (a: Artifact) => join(paths.root, 'objects', a.sha256AtRest.slice(0, 2), a.sha256AtRest);
const verify = (opts = {}) => verifyEvidence(dir, opts);

describe('evidence verify', () => {
  it('passes intact evidence and says which key checked the signature', async () => {
    await makeEvidence();
    const r = await verify();
    assert.deepEqual(r.problems, []);
    assert.equal(r.ok, true);
    assert.equal(r.artifactsFrom, 'manifest');
    assert.equal(r.artifacts, 4);
    assert.equal(r.objects, 3);
    assert.equal(r.signature, 'valid');
    assert.deepEqual(r.key && [r.key.source, r.key.file], ['stored', 'evidence/manifest.pub.pem']);
    assert.equal(r.key?.sha256, r.manifestKeySha256);
    const text = formatVerifyResult(r);
    assert.match(
      text,
      /4 artifacts \(from the manifest\), 3 objects; signature valid with the stored key evidence\/manifest\.pub\.pem \(sha256 [0-9a-f]{64}\)\n/,
    );
    // A valid signature is not enough: the signer is named, and trusted because this controller signed.
    assert.deepEqual(r.signer && [r.signer.sha256, r.signer.kind, r.signer.trustedBy], [
      r.key?.sha256,
      'run',
      'keyring',
    ]);
    assert.match(
      text,
      /\nsigned by a run key, sha256 [0-9a-f]{64}: trusted \(this controller signed with it, keyring /,
    );
    assert.match(text, /✔ evidence intact$/);
  });

  it('names every artifact whose object had one byte flipped', async () => {
    await makeEvidence();
    flip(objectOf(arts[1] as Artifact), 5);
    const r = await verify();
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.problems.map((p) => [p.code, p.artifact?.id, p.artifact?.host, p.artifact?.source.value]),
      [
        ['hash-mismatch', arts[1]?.id, 'web02', '/etc/passwd'],
        ['hash-mismatch', arts[2]?.id, 'web03', '/etc/passwd'],
      ],
    );
    const lines = formatVerifyResult(r).split('\n');
    assert.match(
      lines[0] as string,
      /^✖ web02 file "\/etc\/passwd" \(ev-000002\): object content changed: it hashes to [0-9a-f]{64}, the manifest says [0-9a-f]{64} \[hash-mismatch\]$/,
    );
    assert.match(lines.at(-1) as string, /✖ evidence INVALID: 2 problems/);
  });

  it('reports a missing object and a changed size with their artifacts', async () => {
    await makeEvidence();
    unlinkSync(objectOf(arts[0] as Artifact));
    chmodSync(objectOf(arts[3] as Artifact), 0o600);
    appendFileSync(objectOf(arts[3] as Artifact), 'x');
    const r = await verify();
    assert.deepEqual(
      r.problems.map((p) => [p.code, p.artifact?.id]),
      [
        ['object-missing', arts[0]?.id],
        ['size-mismatch', arts[3]?.id],
        ['hash-mismatch', arts[3]?.id],
      ],
    );
  });

  it('catches one flipped bit or case anywhere in manifest.json, manifest.sig and manifest.pub.pem', async function () {
    this.timeout(120_000);
    await makeEvidence({ small: true });
    for (const file of [paths.manifest, paths.signature, paths.publicKey]) {
      const size = statSync(file).size;
      // Every byte of the signature and the key; every 5th of the manifest, whose bytes are all equally
      // covered by the one signature (every byte of it took 10 s of each CI pass).
      const stride = file === paths.manifest ? 5 : 1;
      for (let offset = 0; offset < size; offset += stride) {
        // Low bit: the subtlest change; 0x20: upper/lower case, which lenient hex or base64 readers forgive.
        for (const mask of file === paths.manifest ? [0x01] : [0x01, 0x20]) {
          flip(file, offset, mask);
          const r = await verify();
          assert.equal(r.ok, false, `${file} byte ${offset} ^ ${mask} went unnoticed`);
          flip(file, offset, mask);
        }
      }
    }
    assert.equal((await verify()).ok, true);
  });

  it('reports a flipped byte in manifest.json as a signature failure', async () => {
    await makeEvidence();
    const text = readFileSync(paths.manifest, 'utf8');
    flip(paths.manifest, text.indexOf('web03') + 4); // web03 -> web02: still valid JSON
    const r = await verify();
    assert.deepEqual(codes(r), ['signature-invalid']);
    assert.equal(r.signature, 'invalid');
  });

  it('catches a change to the custody log as it was signed, not lines appended later', async () => {
    await makeEvidence();
    const r1 = await verify({ record: true, collector: { user: 'bob', machine: 'lab' } });
    assert.equal(r1.ok, true);
    const last = readCustody(paths.custody).events.at(-1);
    assert.deepEqual(last && last.action === 'verified' && [last.actor, last.ok, last.key], [
      'bob@lab',
      true,
      'stored',
    ]);
    assert.equal((await verify()).ok, true, 'a verification appended after signing is fine');
    flip(paths.custody, 30);
    assert.deepEqual(codes(await verify()), ['custody-altered']);
  });

  it('fails with a wrong --public-key and passes with the right one', async () => {
    const responder = generateKeyPairSync('ed25519');
    const keyFile = join(dir, 'responder.pem');
    const rightPub = join(dir, 'responder.pub.pem');
    const wrongPub = join(dir, 'wrong.pub.pem');
    writeFileSync(keyFile, responder.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(rightPub, responder.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(wrongPub, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    await makeEvidence({ signingKeyFile: keyFile });

    const wrong = await verify({ publicKeyFile: wrongPub });
    assert.equal(wrong.ok, false);
    assert.deepEqual(codes(wrong), ['signature-invalid']);
    assert.equal(wrong.key?.source, 'given');
    assert.match(wrong.problems[0]?.message ?? '', /the manifest names key sha256 [0-9a-f]{64}, not this one/);
    const right = await verify({ publicKeyFile: rightPub });
    assert.equal(right.ok, true);
    assert.equal(right.key?.source, 'given');
    await assert.rejects(verify({ publicKeyFile: join(dir, 'missing.pem') }), InputError);
  });

  it('evidence re-signed by someone else with a key of their own fails as untrusted, naming the signer', async () => {
    await makeEvidence();
    const original = join(dir, '..', `${basename(dir)}-original.pub.pem`);
    writeFileSync(original, readFileSync(paths.publicKey));
    // Someone with write access replaces an artifact and re-signs everything with a key of their own
    // (made elsewhere: it never enters this controller's keyring), replacing manifest.pub.pem with it.
    rmSync(paths.root, { recursive: true, force: true });
    const elsewhere = mkdtempSync(join(tmpdir(), 'fb-attacker-keyring-'));
    const store = await EvidenceStore.open(dir, { collector, fsync: false, keyringDir: elsewhere });
    await store.addBytes(
      { host: 'web01', step: 'collect', source: { kind: 'command', value: 'ps auxwwwf' } },
      'nothing to see\n',
    );
    const forged = await store.finalize();
    rmSync(elsewhere, { recursive: true, force: true });
    try {
      const r = await verify();
      assert.equal(r.ok, false);
      assert.equal(r.signature, 'valid', 'the forged manifest is consistent with the forged key');
      assert.deepEqual(codes(r), ['signer-untrusted']);
      assert.deepEqual(r.signer && [r.signer.sha256, r.signer.kind, r.signer.trusted], [
        forged.publicKeySha256,
        'run',
        false,
      ]);
      assert.match(
        formatVerifyResult(r),
        new RegExp(`signed by a run key, sha256 ${forged.publicKeySha256}: NOT trusted`),
      );
      assert.deepEqual(codes(await verify({ publicKeyFile: original })), ['signature-invalid']);
      // Told to trust it (say, the responder who re-signed is known), it verifies.
      assert.equal((await verify({ trustedKeysFile: join(paths.root, 'manifest.pub.pem') })).ok, true);
    } finally {
      rmSync(original, { force: true });
    }
  });

  it('reports a missing signature and a missing public key', async () => {
    await makeEvidence();
    unlinkSync(paths.publicKey);
    assert.deepEqual(codes(await verify()), ['public-key-missing']);
    unlinkSync(paths.signature);
    const r = await verify();
    assert.deepEqual(codes(r), ['signature-missing']);
    assert.equal(r.signature, 'missing');
  });

  it('warns about unlisted objects, stray files and open permissions without failing', async () => {
    await makeEvidence();
    const extra = 'a'.repeat(64);
    mkdirSync(join(paths.objects, 'aa'), { mode: 0o700 });
    writeFileSync(join(paths.objects, 'aa', extra), 'planted');
    writeFileSync(join(paths.objects, 'README'), 'hi');
    chmodSync(paths.root, 0o755);
    const r = await verify();
    assert.equal(r.ok, true);
    assert.deepEqual(
      r.problems.map((p) => [p.code, p.severity, p.file]),
      [
        ['stray-file', 'warning', 'evidence/objects/README'],
        ['object-unlisted', 'warning', `evidence/objects/aa/${extra}`],
        ['permissions', 'warning', 'evidence'],
      ],
    );
    assert.match(formatVerifyResult(r), /✔ evidence intact \(3 warnings\)$/);
  });

  it('refuses a directory without evidence as bad input', async () => {
    await assert.rejects(
      verify(),
      (e: unknown) => e instanceof InputError && /is not a run directory with evidence/.test(e.message),
    );
  });
});

describe('firebreak evidence verify (CLI)', () => {
  it('exits 0 when intact, 5 naming the artifact when a byte changed, 2 without evidence', async function () {
    this.timeout(60_000);
    await makeEvidence();
    const ok = await runCli(['evidence', 'verify', dir, '--no-record']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /✔ evidence intact\n$/);

    flip(objectOf(arts[0] as Artifact), 0);
    const bad = await runCli(['evidence', 'verify', dir, '--json']);
    assert.equal(bad.code, 5, bad.stderr);
    const result = JSON.parse(bad.stdout) as VerifyResult;
    assert.deepEqual(
      result.problems.map((p) => [p.code, p.artifact?.host, p.artifact?.source.value]),
      [['hash-mismatch', 'web01', 'ps auxwwwf']],
    );
    const text = await runCli(['evidence', 'verify', dir]);
    assert.equal(text.code, 5);
    assert.match(text.stdout, /^✖ web01 command "ps auxwwwf" \(ev-000001\): object content changed/);
    assert.equal(
      readCustody(paths.custody).events.filter((e) => e.action === 'verified').length,
      2,
      'the CLI records verifications unless --no-record',
    );

    const none = await runCli(['evidence', 'verify', join(dir, 'evidence')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /is not a run directory with evidence/);
  });
});
