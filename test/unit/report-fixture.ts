/**
 * Support for the report tests: fixture run directories copied to a temp dir (git keeps no directory
 * modes, and evidence verification warns about group-readable evidence directories, so the copy gets
 * the owner-only modes a real run has), and a fixed clock and version so rendered reports are stable.
 * The recorded run was signed on another machine: the tests' keyring is told to trust its key, as a
 * responder verifying a run from elsewhere would be.
 */
import { createPublicKey } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addToKeyring } from '../../src/evidence/index.js';
import { buildReportModel, type ReportModel } from '../../src/report/index.js';
import { TEST_KEYRING } from '../helpers/keyring.js';

export const REPORT_FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/report');
export const FIXED = { now: new Date('2026-11-22T09:00:00.000Z'), version: '0.0.0-test' };

function ownerOnlyDirs(dir: string): void {
  chmodSync(dir, 0o700);
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) ownerOnlyDirs(p);
  }
}

/** A private copy of `test/fixtures/report/<name>`; remove it with `cleanup()`. */
export function copyRunFixture(name: string): { dir: string; cleanup: () => void } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'fb-report-'));
  const dir = path.join(root, name);
  cpSync(path.join(REPORT_FIXTURES, name), dir, { recursive: true });
  ownerOnlyDirs(path.join(dir, 'evidence'));
  const pub = path.join(dir, 'evidence', 'manifest.pub.pem');
  if (existsSync(pub)) addToKeyring(TEST_KEYRING, createPublicKey(readFileSync(pub)));
  return { dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Inside a `describe`: a copy of the fixture run and its model (fixed clock and version), made before
 * the tests and removed after them. Read `model` and `dir` inside the tests, not at describe time.
 */
export function recordedRun(name = 'run-basic'): { model: ReportModel; dir: string } {
  const run = {} as { model: ReportModel; dir: string };
  let copy: ReturnType<typeof copyRunFixture> | undefined;
  before(async () => {
    copy = copyRunFixture(name);
    run.dir = copy.dir;
    run.model = await buildReportModel(copy.dir, FIXED);
  });
  after(() => copy?.cleanup());
  return run;
}
