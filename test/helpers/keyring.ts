/**
 * Tests never touch the real keyring (~/.firebreak/keyring): importing this points FIREBREAK_KEYRING,
 * for this process and the CLIs it spawns, at one temporary directory, removed when the process exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEYRING_ENV } from '../../src/evidence/index.js';

const MARK = 'fb-test-keyring-';

if (!process.env[KEYRING_ENV]?.includes(MARK)) {
  const root = mkdtempSync(join(tmpdir(), MARK));
  process.env[KEYRING_ENV] = join(root, 'keyring');
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
}

/** The keyring directory the tests use. */
export const TEST_KEYRING = process.env[KEYRING_ENV] as string;
