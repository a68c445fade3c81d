/**
 * The whole run directory is sealed: a real run (the executor over the fake transport, with an evidence
 * step) is signed as its last write, and one flipped byte in any of its files fails verification
 * naming that file; a manifest re-signed with a swapped key fails as untrusted.
 */
import { strict as assert } from 'node:assert';
import { createHash, createPublicKey } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRun } from '../../src/engine/executor.js';
import {
  EvidenceStore,
  evidencePaths,
  formatVerifyResult,
  verifyEvidence,
  type Manifest,
  type VerifyResult,
} from '../../src/evidence/index.js';
import { runCli } from '../integration/run-cli.js';
import { FakeFleet, fakeClock, fakePlanner, hosts, type FakeStep } from './executor-fakes.js';

let base: string;
let dir: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'fb-seal-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const grab: FakeStep = {
  name: 'grab passwd',
  actions: [
    {
      kind: 'evidence',
      command: 'cat /etc/passwd',
      label: 'passwd',
      source: { kind: 'file', value: '/etc/passwd' },
    },
  ],
};

/** A finished run of two hosts: step outputs, one evidence artifact per host, incident.json, summary.json. */
async function sealedRun(steps: FakeStep[] = [{ name: 'ps', cmd: 'ps' }, grab, { name: 'uname' }]): Promise<string> {
  // What the host's evidence wrapper prints: the bytes, and their SHA-256 and exit code on stderr.
  const passwd = (stdout: string) => ({
    stdout,
    stderr: `fb-rc=0\nfb-sha256=${createHash('sha256').update(stdout).digest('hex')}\n`,
  });
  const fleet = new FakeFleet({
    web01: { replies: { 'cat /etc/passwd': passwd('root:x:0:0::/root:/bin/sh\n') } },
    web02: { replies: { 'cat /etc/passwd': passwd('root:x:0:0::/root:/bin/bash\n') } },
  });
  const handle = startRun<FakeStep>({
    runbook: { name: 'seal', phases: { collect: { steps } } },
    hosts: hosts('web01', 'web02'),
    ...fakePlanner,
    transportFor: fleet.factory,
    runsDir: base,
    clock: fakeClock(),
    fsync: false,
    prepareRunDir: (d) => writeFileSync(join(d, 'incident.json'), '{"id":"INC-7"}\n', { mode: 0o600 }),
  });
  const summary = await handle.done;
  assert.equal(summary.exitCode, 0);
  return handle.runDir;
}

function flip(file: string, offset: number): void {
  chmodSync(file, 0o600);
  const bytes = readFileSync(file);
  bytes[offset] = (bytes[offset] as number) ^ 0x01;
  writeFileSync(file, bytes);
}

const errors = (r: VerifyResult) => r.problems.filter((p) => p.severity === 'error');
const manifestOf = (d: string) => JSON.parse(readFileSync(evidencePaths(d).manifest, 'utf8')) as Manifest;

describe('sealing the whole run directory', () => {
  beforeEach(async () => {
    dir = await sealedRun();
  });

  it('seals the journal head, step outputs, summary.json and incident.json at the very end', async () => {
    const m = manifestOf(dir);
    assert.equal(m.format, 'firebreak-evidence/2');
    assert.equal(m.artifacts.length, 2);
    const paths = (m.files ?? []).map((f) => f.path);
    for (const p of [
      'incident.json',
      'summary.json',
      'hosts/web01/01-collect-ps.stdout',
      'hosts/web02/03-collect-uname.stdout',
    ])
      assert.ok(paths.includes(p), `${p} is not sealed: ${paths.join(', ')}`);
    assert.ok(!paths.includes('journal.jsonl'), 'the journal is sealed by its chain head, not as a plain file');
    // The journal's last line, run.finished, is inside the seal: signing came after it.
    const journal = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
    assert.equal(m.journal?.size, Buffer.byteLength(journal));
    assert.match(journal.trim().split('\n').at(-1) ?? '', /"type":"run.finished"/);

    const r = await verifyEvidence(dir);
    assert.deepEqual(r.problems, []);
    assert.equal(r.ok, true);
    assert.equal(r.sealed, 'run');
    assert.equal(r.journal?.chained, true);
    assert.equal(r.journal?.lines, journal.trim().split('\n').length);
    assert.match(
      formatVerifyResult(r),
      /run directory sealed: \d+ files checked against the manifest; journal hash chain of \d+ lines checked link by link\n✔ evidence intact$/,
    );
  });

  it('finds one flipped byte in any file of the run directory and names the file', async () => {
    const p = evidencePaths(dir);
    const object = join(p.objects, readdirSync(p.objects)[0] as string);
    const objectFile = join(object, readdirSync(object)[0] as string);
    const journal = join(dir, 'journal.jsonl');
    const middle = readFileSync(journal, 'utf8').split('\n').slice(0, 5).join('\n').length + 20; // inside line 6
    const cases: [file: string, offset: number, named: string, code: string][] = [
      [journal, middle, 'journal.jsonl', 'journal-chain'],
      [join(dir, 'hosts/web02/01-collect-ps.stdout'), 3, 'hosts/web02/01-collect-ps.stdout', 'file-changed'],
      [join(dir, 'summary.json'), 10, 'summary.json', 'file-changed'],
      [join(dir, 'incident.json'), 8, 'incident.json', 'file-changed'],
      [objectFile, 0, objectFile.slice(dir.length + 1), 'hash-mismatch'],
      [p.custody, 40, 'evidence/custody.jsonl', 'custody-altered'],
      [p.manifest, 200, 'evidence/manifest.sig', 'signature-invalid'],
    ];
    for (const [file, offset, named, code] of cases) {
      flip(file, offset);
      const r = await verifyEvidence(dir);
      assert.equal(r.ok, false, `${named}: a flipped byte went unnoticed`);
      assert.ok(
        errors(r).some((e) => e.code === code && e.file === named),
        `${named}: expected ${code} naming it, got ${JSON.stringify(errors(r))}`,
      );
      flip(file, offset);
      assert.equal((await verifyEvidence(dir)).ok, true, `${named}: flipped back, it verifies again`);
    }
    flip(journal, middle);
    const r = await verifyEvidence(dir);
    assert.match(r.problems.find((e) => e.code === 'journal-chain')?.message ?? '', /^line 7 does not follow line 6/);
    assert.ok(r.problems.some((e) => e.code === 'journal-changed'));
  });

  it('reports files added, removed or appended to after sealing; derived reports are not sealed and said so', async () => {
    writeFileSync(join(dir, 'report.md'), '# report\n');
    writeFileSync(join(dir, 'report.html'), '<p>report</p>\n');
    const derived = await verifyEvidence(dir);
    assert.equal(derived.ok, true);
    assert.deepEqual(derived.derived, ['report.html', 'report.md']);
    assert.match(
      formatVerifyResult(derived),
      /not sealed, derived \(rebuilt by `firebreak report`, written after sealing\): report.html, report.md/,
    );

    writeFileSync(join(dir, 'hosts/web01/planted.txt'), 'x');
    unlinkSync(join(dir, 'hosts/web02/03-collect-uname.stdout'));
    appendFileSync(join(dir, 'journal.jsonl'), '{"type":"note"}\n');
    const r = await verifyEvidence(dir);
    assert.deepEqual(
      errors(r).map((e) => [e.code, e.file]),
      [
        ['journal-chain', 'journal.jsonl'],
        ['journal-changed', 'journal.jsonl'],
        ['file-missing', 'hosts/web02/03-collect-uname.stdout'],
        ['file-added', 'hosts/web01/planted.txt'],
      ],
    );
    assert.match(errors(r)[1]?.message ?? '', /^16 bytes were appended after sealing/);
  });

  it('a manifest re-signed with a swapped key fails as untrusted, naming the signer; the true keyring passes', async () => {
    const original = manifestOf(dir).signing.publicKeySha256;
    assert.equal((await verifyEvidence(dir)).ok, true, 'with the keyring of the controller that ran it');
    // The attacker changes the summary, then re-seals with a key of their own and replaces manifest.pub.pem.
    writeFileSync(join(dir, 'summary.json'), '{"exitCode":0,"recap":[]}\n');
    const elsewhere = mkdtempSync(join(base, 'attacker-keyring-'));
    const fin = await (await EvidenceStore.open(dir, { fsync: false, keyringDir: elsewhere })).finalize();
    rmSync(elsewhere, { recursive: true, force: true });
    assert.notEqual(fin.publicKeySha256, original);

    const r = await verifyEvidence(dir);
    assert.equal(r.ok, false);
    assert.equal(r.signature, 'valid');
    assert.deepEqual(
      errors(r).map((e) => e.code),
      ['signer-untrusted'],
    );
    assert.deepEqual(r.signer && [r.signer.sha256, r.signer.kind, r.signer.trusted], [
      fin.publicKeySha256,
      'run',
      false,
    ]);
    const cli = await runCli(['evidence', 'verify', dir, '--no-record']);
    assert.equal(cli.code, 5, cli.stderr);
    assert.match(cli.stdout, new RegExp(`signed by a run key, sha256 ${fin.publicKeySha256}: NOT trusted`));
    assert.match(cli.stdout, /✖ evidence INVALID: 1 problem\n$/);
  });

  it('trust is per controller: another keyring does not trust the run, --trusted-keys does', async () => {
    const other = mkdtempSync(join(base, 'other-keyring-'));
    const r = await verifyEvidence(dir, { keyringDir: other });
    assert.deepEqual(
      errors(r).map((e) => e.code),
      ['signer-untrusted'],
    );
    const keys = join(base, 'trusted.pem');
    const key = createPublicKey(readFileSync(evidencePaths(dir).publicKey));
    writeFileSync(keys, `# ours\n${key.export({ type: 'spki', format: 'pem' }) as string}`);
    const trusted = await verifyEvidence(dir, { keyringDir: other, trustedKeysFile: keys });
    assert.equal(trusted.ok, true);
    assert.equal(trusted.signer?.trustedBy, 'trusted-keys');
  });
});

describe('a run that never finished sealing', () => {
  it('is verified as far as it goes: the journal link by link up to a torn tail, "not finalized"', async () => {
    dir = await sealedRun();
    const p = evidencePaths(dir);
    for (const f of [p.manifest, p.signature, p.publicKey]) unlinkSync(f);
    const journal = join(dir, 'journal.jsonl');
    truncateSync(journal, readFileSync(journal).length - 10); // the last line torn
    const r = await verifyEvidence(dir);
    assert.equal(r.ok, false);
    assert.equal(r.sealed, 'none');
    assert.deepEqual(
      r.problems.map((e) => [e.code, e.severity]),
      [
        ['manifest-missing', 'error'],
        ['journal-torn', 'warning'],
      ],
    );
    assert.equal(r.journal?.torn, true);
    assert.match(
      formatVerifyResult(r),
      /not finalized: nothing is signed, checked as far as it goes; .*journal hash chain of \d+ lines checked link by link up to a torn last line/,
    );

    const lines = readFileSync(journal, 'utf8').split('\n');
    lines[3] = (lines[3] as string).replace('"collect"', '"rebuild"');
    writeFileSync(journal, lines.join('\n'));
    const edited = await verifyEvidence(dir);
    assert.match(
      edited.problems.find((e) => e.code === 'journal-chain')?.message ?? '',
      /^line 5 does not follow line 4/,
    );
  });

  it('a run that collected nothing still gets its run directory sealed', async () => {
    dir = await sealedRun([{ name: 'ps', cmd: 'ps' }]);
    const r = await verifyEvidence(dir);
    assert.equal(r.ok, true, JSON.stringify(r.problems));
    assert.equal(r.artifacts, 0);
    assert.equal(r.sealed, 'run');
    flip(join(dir, 'summary.json'), 4);
    assert.deepEqual(
      errors(await verifyEvidence(dir)).map((e) => [e.code, e.file]),
      [['file-changed', 'summary.json']],
    );
  });
});
