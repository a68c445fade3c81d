/**
 * The exec semantics every transport shares (src/transport/index.ts), as one set of tests each
 * transport's suite runs against itself: exit code, stderr without the PID marker, byte counts, a
 * signal, stdin and streaming callbacks, spilling to disk.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Transport } from '../../src/core/transport.js';

/** `transport(n)` gives a connected transport for the n-th test; `scratch()` a directory for spill files. */
export function execContract(transport: (n: number) => Promise<Transport>, scratch: () => string): void {
  it('reports exit code, stderr, byte counts and duration without the pid marker', async () => {
    const t = await transport(1);
    const r = await t.exec("printf 'out'; printf 'bad thing\\n' >&2; exit 3", { timeoutMs: 10_000 });
    assert.equal(r.code, 3);
    assert.equal(r.signal, null);
    assert.equal(r.stdout, 'out');
    assert.equal(r.stderr, 'bad thing\n');
    assert.equal(r.stdoutBytes, 3);
    assert.equal(r.stderrBytes, 10);
    assert.equal(r.timedOut, false);
    assert.ok(r.durationMs >= 0 && r.durationMs < 10_000);
  });

  it('reports a signal', async () => {
    const t = await transport(2);
    const r = await t.exec('kill -TERM $$', { timeoutMs: 10_000 });
    assert.equal(r.code, null);
    assert.equal(r.signal, 'SIGTERM');
  });

  it('passes stdin and streams output to callbacks', async () => {
    const t = await transport(3);
    const seen: Buffer[] = [];
    const r = await t.exec('tr a-z A-Z', { timeoutMs: 10_000, stdin: 'hello', onStdout: (c) => seen.push(c) });
    assert.equal(r.stdout, 'HELLO');
    assert.equal(Buffer.concat(seen).toString(), 'HELLO');
  });

  it('spills large output to disk with exact counts and bounded memory', async () => {
    const t = await transport(4);
    const prefix = path.join(scratch(), 'spill', 'big');
    const size = 10 * 1024 * 1024;
    const r = await t.exec(`head -c ${size} /dev/zero | tr '\\0' x`, {
      timeoutMs: 20_000,
      spillPrefix: prefix,
      maxInMemoryBytes: 64 * 1024,
    });
    assert.equal(r.code, 0);
    assert.equal(r.stdoutBytes, size);
    assert.equal(r.stdout.length, 64 * 1024);
    assert.equal(r.stdoutFile, `${prefix}.stdout`);
    assert.equal((await fs.stat(`${prefix}.stdout`)).size, size);
    assert.equal(r.stderrFile, undefined);
  });
}
