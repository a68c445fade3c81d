import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { itemAction } from '../../src/steps/collect-sets.js';
import { parseEvidenceTrailer, wrapEvidence } from '../../src/core/index.js';

function sh(command: string): { stdout: Buffer; stderr: string } {
  const r = spawnSync('/bin/sh', ['-c', command], { maxBuffer: 64 * 1024 * 1024 });
  return { stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('wrapEvidence (run by a real /bin/sh)', () => {
  it('passes stdout through byte for byte, with the same SHA-256 and the exit code on stderr', () => {
    const r = sh(wrapEvidence("printf 'a\\0b\\377\\n'; echo oops >&2; exit 3", true));
    assert.deepEqual([...r.stdout], [...Buffer.from('a\0b\xff\noops\n', 'latin1')]);
    const t = parseEvidenceTrailer(r.stderr);
    assert.equal(t.rc, 3);
    assert.equal(t.sha256, sha(r.stdout));
    assert.equal(t.bytes, r.stdout.length, 'the host counts the bytes it sends');
  });

  it('keeps a file source clean of error messages, which go to stderr', () => {
    const r = sh(wrapEvidence('cat -- /nonexistent/file', false));
    assert.equal(r.stdout.length, 0);
    const t = parseEvidenceTrailer(r.stderr);
    assert.equal(t.rc, 1);
    assert.equal(t.sha256, sha(Buffer.alloc(0)));
    assert.equal(t.bytes, 0);
    assert.match(t.stderr, /No such file/);
  });

  it("a collected file's command (the one collect plans) reports its mode, owner, inode, size and times", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fb-stat-'));
    try {
      const file = path.join(dir, "it's a file");
      writeFileSync(file, 'content\n');
      chmodSync(file, 0o4751);
      // Times in the past, atime not after mtime: reading the file moves its atime (relatime), and what
      // the trailer must report is the file as it was before firebreak read it.
      utimesSync(file, new Date('2020-01-02T03:04:05Z'), new Date('2020-01-02T03:04:06Z'));
      const st = statSync(file);
      const action = itemAction({ label: 'files/x', file });
      assert.equal(action.kind, 'evidence');
      const r = sh(action.kind === 'evidence' ? action.command : '');
      assert.equal(r.stdout.toString(), 'content\n');
      const t = parseEvidenceTrailer(r.stderr);
      assert.deepEqual(t.file, {
        mode: '4751',
        uid: st.uid,
        gid: st.gid,
        inode: st.ino,
        size: 8,
        atime: new Date(Math.floor(st.atimeMs / 1000) * 1000).toISOString(),
        mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000).toISOString(),
        ctime: new Date(Math.floor(st.ctimeMs / 1000) * 1000).toISOString(),
        owner: os.userInfo().username,
        group: t.file?.group,
      });
      assert.equal(t.stderr, '', 'the stat line is taken out of stderr');
      // A file that is gone: no metadata, cat's error kept.
      rmSync(file);
      const gone = parseEvidenceTrailer(sh(action.kind === 'evidence' ? action.command : '').stderr);
      assert.equal(gone.file, undefined);
      assert.match(gone.stderr, /No such file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('handles a big binary stream', () => {
    const r = sh(wrapEvidence('head -c 3000000 /dev/urandom', true));
    assert.equal(r.stdout.length, 3_000_000);
    assert.equal(parseEvidenceTrailer(r.stderr).sha256, sha(r.stdout));
    assert.equal(parseEvidenceTrailer(r.stderr).bytes, 3_000_000);
  });

  it('reports no hash when the host printed none', () => {
    assert.deepEqual(parseEvidenceTrailer('fb-sha256=xyz\nfb-bytes=-1\nsomething\n'), {
      rc: null,
      sha256: null,
      bytes: null,
      stderr: 'fb-sha256=xyz\nfb-bytes=-1\nsomething\n',
    });
  });
});
