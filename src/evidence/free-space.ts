/**
 * The controller's disk is where the evidence goes: before a run starts and before every evidence
 * command, the run directory's filesystem must keep a reserve free, so that a full disk stops the
 * collection cleanly (the journal, summary.json and the seal still fit) instead of half-writing it.
 */
import { existsSync, statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { EnvironmentError } from '../core/index.js';

const MiB = 1024 * 1024;

/** Bytes kept free on the run directory's filesystem (`FIREBREAK_MIN_FREE_MB`, default 64: room for the journal, summary and seal). */
export function freeSpaceReserve(): number {
  const raw = process.env.FIREBREAK_MIN_FREE_MB;
  const n = raw ? Number(raw) : NaN;
  return (Number.isFinite(n) && n >= 0 ? n : 64) * MiB;
}

/** Bytes an unprivileged writer may still use on the filesystem of `path` (or its nearest existing parent). */
export function freeBytes(path: string): number {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  const s = statfsSync(p);
  return s.bavail * s.bsize;
}

/** Throw an EnvironmentError (exit 6) when `path`'s filesystem has less than the reserve free. */
export function checkFreeSpace(path: string, what: string, reserve = freeSpaceReserve()): void {
  const free = freeBytes(path);
  if (free >= reserve) return;
  const mb = (b: number): string => `${Math.floor(b / MiB)} MiB`;
  throw new EnvironmentError(
    `the controller's disk is nearly full: ${mb(free)} free on the filesystem of ${path}, below the reserve of ${mb(reserve)}; ` +
      `${what}. Free space there or give --runs-dir on another filesystem (FIREBREAK_MIN_FREE_MB sets the reserve)`,
  );
}
