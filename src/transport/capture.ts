/**
 * Captures one output stream of a command with bounded memory. The first `maxInMemoryBytes` stay in
 * memory; once the stream grows past that, everything (the held head included) is streamed to
 * `spillFile`, so the file always holds the complete output. Byte counts are exact either way.
 * `write()` returns false when the file is behind, so the caller can pause the SSH channel
 * (backpressure) instead of buffering an unbounded amount. The file can be capped (`maxFileBytes`:
 * what follows is counted and dropped, `capped` says so) and filtered (the run's redaction: a secret
 * in output too big for memory must not reach the disk either).
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { ByteFilter } from '../core/transport.js';

export const DEFAULT_MAX_IN_MEMORY_BYTES = 1024 * 1024;

export class StreamCapture {
  bytes = 0;
  private readonly chunks: Buffer[] = [];
  private held = 0;
  private file?: WriteStream;
  private fileError?: Error;
  /** Called once when writing the spill file fails (a full disk): the caller stops the command. */
  onFileError?: (err: Error) => void;
  /** The spill file stopped at `maxFileBytes`. */
  capped = false;
  private fileBytes = 0;

  constructor(
    private readonly maxInMemoryBytes: number = DEFAULT_MAX_IN_MEMORY_BYTES,
    /** Where to spill; without it output past the cap is counted and dropped. */
    readonly spillFile?: string,
    private readonly file_: { maxFileBytes?: number; filter?: ByteFilter } = {},
  ) {}

  /** True when the output went to `spillFile`. */
  get spilled(): boolean {
    return this.file !== undefined;
  }

  /** Add a chunk. Returns false when the caller should wait for `drain()` before sending more. */
  write(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    const kept = Math.max(0, Math.min(chunk.length, this.maxInMemoryBytes - this.held));
    if (kept > 0) {
      this.chunks.push(chunk.subarray(0, kept));
      this.held += kept;
    }
    if (this.file) return this.toFile(chunk);
    if (this.bytes > this.maxInMemoryBytes && this.spillFile) {
      try {
        mkdirSync(path.dirname(this.spillFile), { recursive: true });
      } catch {
        // Not thrown from here (a data handler): the write stream below fails too and reports it.
      }
      this.file = createWriteStream(this.spillFile, { flags: 'w', mode: 0o600 });
      this.file.on('error', (err) => {
        if (!this.fileError) this.onFileError?.(err);
        this.fileError ??= err;
      });
      // The held head plus the part of this chunk that did not fit in memory.
      this.toFile(Buffer.concat(this.chunks));
      return this.toFile(chunk.subarray(kept));
    }
    return true;
  }

  private toFile(chunk: Buffer): boolean {
    return this.capWrite(this.file_.filter ? this.file_.filter.push(chunk) : chunk);
  }

  private capWrite(data: Buffer): boolean {
    const f = this.file as WriteStream;
    const room = (this.file_.maxFileBytes ?? Infinity) - this.fileBytes;
    const part = data.length > room ? data.subarray(0, Math.max(0, room)) : data;
    if (part.length < data.length) this.capped = true;
    if (!part.length) return true;
    this.fileBytes += part.length;
    return f.write(part);
  }

  /** Resolves when the spill file can take more. */
  drain(): Promise<void> {
    const f = this.file;
    if (!f || !f.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        f.off('drain', done);
        f.off('close', done);
        resolve();
      };
      f.once('drain', done);
      f.once('close', done);
    });
  }

  /** The in-memory part (at most the cap) as UTF-8 text. */
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  /** Flush and close the spill file. Rejects if writing it failed. */
  async finish(): Promise<void> {
    const f = this.file;
    if (f && !f.closed) {
      if (this.file_.filter) this.capWrite(this.file_.filter.end());
      await new Promise<void>((resolve) => {
        f.once('close', () => resolve());
        f.end();
      });
    }
    if (this.fileError) throw this.fileError;
  }
}
