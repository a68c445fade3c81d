/**
 * The step registry: every step type firebreak knows. Adding a type = one file in src/steps/,
 * one line here, and fixtures in test/fixtures/steps/<type>/.
 */
import type { StepType } from './types.js';
import { shell } from './shell.js';
import { script } from './script.js';
import { fetch } from './fetch.js';
import { upload } from './upload.js';
import { waitFor } from './wait_for.js';
import { collect } from './collect.js';
import { rebuild } from './rebuild.js';
import { isolate } from './isolate.js';
import { unisolate } from './unisolate.js';
import { harden } from './harden.js';
import { verifyPackages } from './verify_packages.js';
import { rootkitScan } from './rootkit_scan.js';
import { lockUser } from './lock_user.js';
import { killProcess } from './kill_process.js';
import { backup } from './backup.js';
import { restore } from './restore.js';
import { endHost } from './end_host.js';

/** All step types, in the order `firebreak schema` and suggestions list them. */
export const STEP_TYPES = [
  shell,
  script,
  fetch,
  upload,
  waitFor,
  collect,
  rebuild,
  verifyPackages,
  rootkitScan,
  lockUser,
  killProcess,
  backup,
  restore,
  isolate,
  unisolate,
  harden,
  endHost,
] as const;

export type StepTypeName = (typeof STEP_TYPES)[number]['type'];

/** The step type for a key, or undefined. */
export function getStepType(name: string): StepType | undefined {
  return (STEP_TYPES as readonly StepType[]).find((t) => t.type === name);
}

export function stepTypeNames(): StepTypeName[] {
  return STEP_TYPES.map((t) => t.type);
}
