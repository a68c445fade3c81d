/**
 * `collect: {known_keys}`: the responder's baseline of expected SSH keys, by fingerprint or key line;
 * fingerprints computed here equal ssh-keygen's, and unknown authorized keys are raised.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { authorizedKeysFact } from '../../src/facts/index.js';
import { getStepType } from '../../src/steps/index.js';
import { applyKnownKeys, knownFingerprint } from '../../src/steps/known-keys.js';

const FIXTURE = readFileSync(new URL('../fixtures/facts/authorized-keys/debian12-homes.txt', import.meta.url), 'utf8');
const findings = () => authorizedKeysFact.findings!('web01', authorizedKeysFact.parse!(FIXTURE), {});

describe('collect known_keys', () => {
  it('a key line and its fingerprint name the same key, as ssh-keygen -l prints it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fb-known-'));
    try {
      const key = path.join(dir, 'k');
      assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ops@laptop', '-f', key]).status, 0);
      const line = readFileSync(`${key}.pub`, 'utf8').trim();
      const printed = spawnSync('ssh-keygen', ['-lf', `${key}.pub`], { encoding: 'utf8' }).stdout.split(' ')[1];
      assert.equal(knownFingerprint(line), printed);
      assert.equal(knownFingerprint(`from="10.0.0.0/8" ${line}`), printed, 'options before the key type');
      assert.equal(knownFingerprint(` ${printed} `), printed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a baseline nothing changes; with one, unknown keys are high for root and medium for others', () => {
    const all = findings();
    assert.deepEqual(applyKnownKeys(all, undefined), all);
    const rootKey = all.find((f) => f.detail.user === 'root' && f.detail.fingerprint)!;
    const out = applyKnownKeys(all, [rootKey.detail.fingerprint as string]);
    const known = out.filter((f) => f.detail.known === true);
    assert.ok(known.length >= 1 && known.every((f) => f.detail.fingerprint === rootKey.detail.fingerprint));
    assert.ok(
      known.every((f) => f.severity === all[out.indexOf(f)]!.severity),
      'a known key keeps its severity',
    );
    const unknown = out.filter((f) => f.detail.known === false);
    assert.equal(unknown.length + known.length, all.length);
    for (const f of unknown) {
      assert.equal(f.severity, f.detail.user === 'root' ? 'high' : 'medium', f.summary);
      assert.match(f.summary, / — not in the known keys$/);
    }
    assert.ok(unknown.some((f) => f.severity === 'medium'));
  });

  it('the collect step refuses an entry that is neither a fingerprint nor a key line', () => {
    const collect = getStepType('collect')!;
    assert.equal(collect.schema.safeParse({ known_keys: ['SHA256:nope'] }).success, false);
    assert.equal(
      collect.schema.safeParse({ known_keys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB ops'] }).success,
      true,
    );
  });
});
