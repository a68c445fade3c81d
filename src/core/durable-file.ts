/** Append-only logs (the journal, the custody log) end the same way: flushed to disk, then closed. */
import { closeSync, fsyncSync } from 'node:fs';

export function closeDurably(fd: number): void {
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
