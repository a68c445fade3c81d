/**
 * Can this machine run a lab? Checked before anything is created, so a missing piece is one clear
 * message naming the fix instead of a half-built lab.
 */
import { existsSync, readFileSync } from 'node:fs';
import { EnvironmentError } from '../core/index.js';
import { describeMissing, LAB_PROGRAMS, programNeeds, type ProgramNeed } from './programs.js';

const PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function findProgram(name: string): string | undefined {
  return PATH_DIRS.map((d) => `${d}/${name}`).find((p) => existsSync(p));
}

export interface MachineProbe {
  uid: number;
  hasProgram(name: string): boolean;
  exists(path: string): boolean;
  filesystems: string;
}

const thisMachine = (): MachineProbe => ({
  uid: process.getuid?.() ?? -1,
  hasProgram: (name) => findProgram(name) !== undefined,
  exists: existsSync,
  filesystems: readFileSync('/proc/filesystems', 'utf8'),
});

/** What a lab that will run these scenarios needs: the lab's own programs, then each scenario's. */
export function labNeeds(
  scenarios: readonly { name: string; requires: Readonly<Record<string, string>> }[] = [],
): ProgramNeed[] {
  return programNeeds(
    { by: 'the lab', programs: LAB_PROGRAMS },
    ...scenarios.map((s) => ({ by: `scenario ${s.name}`, programs: s.requires })),
  );
}

/** Throws EnvironmentError listing everything missing; returns quietly when the lab can run. */
export function checkLabEnvironment(
  probe: MachineProbe = thisMachine(),
  needs: readonly ProgramNeed[] = labNeeds(),
): void {
  const problems: string[] = [];
  if (process.platform !== 'linux')
    throw new EnvironmentError('the lab needs Linux (network, mount, pid and UTS namespaces)');
  if (probe.uid !== 0)
    problems.push('run as root: the lab creates namespaces, a bridge and mounts (e.g. `sudo firebreak lab up ...`)');
  for (const ns of ['net', 'mnt', 'pid', 'uts', 'ipc']) {
    if (!probe.exists(`/proc/self/ns/${ns}`))
      problems.push(`the kernel has no ${ns} namespaces (/proc/self/ns/${ns} is missing)`);
  }
  if (!/\boverlay\b/.test(probe.filesystems)) problems.push('the kernel has no overlay filesystem: `modprobe overlay`');
  const missing = describeMissing(needs, (p) => probe.hasProgram(p));
  if (missing) problems.push(missing);
  if (problems.length)
    throw new EnvironmentError(`this machine cannot run a firebreak lab:\n  - ${problems.join('\n  - ')}`);
}

/** Before planting on a lab that is already up: the scenarios' own programs (the lab's were checked at `lab up`). */
export function checkScenarioPrograms(
  scenarios: readonly { name: string; requires: Readonly<Record<string, string>> }[],
  hasProgram = (p: string) => findProgram(p) !== undefined,
): void {
  const missing = describeMissing(
    programNeeds(...scenarios.map((s) => ({ by: `scenario ${s.name}`, programs: s.requires }))),
    hasProgram,
  );
  if (missing) throw new EnvironmentError(`this machine cannot plant these scenarios: ${missing}`);
}
