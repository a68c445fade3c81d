/**
 * Programs the tests run themselves (beyond the lab's and the loopback fleet's, src/lab/programs.ts),
 * each with its Debian package; test/unit/programs.test.ts holds scripts/install-deps.sh to them.
 */
import type { Context } from 'mocha';
import { findProgram, type ProgramPackages } from '../../src/lab/index.js';

export const TEST_PROGRAMS: ProgramPackages = {
  // ansible-compat: our inventory answers compared with Ansible's own
  ansible: 'ansible-core',
  'ansible-inventory': 'ansible-core',
  // ansible-cfg-oracle: which ansible.cfg Ansible reads, and what it reads from it
  'ansible-config': 'ansible-core',
  // inventory-sources: vault texts made by the real ansible-vault
  'ansible-vault': 'ansible-core',
  // report-html: the HTML report in a real headless browser
  chromium: 'chromium',
  // become tests: sudo with a password, the test user's hash
  sudo: 'sudo',
  openssl: 'openssl',
  // transport tests: agent authentication
  'ssh-agent': 'openssh-client',
  'ssh-add': 'openssh-client',
  // special-files lab test: a capability and an immutable flag planted on a lab host
  setcap: 'libcap2-bin',
  chattr: 'e2fsprogs',
  // distributed runs: a hub and leaf nodes of NATS JetStream
  'nats-server': 'nats-server',
};

/**
 * Skip a suite whose program is missing on a developer's machine, but fail it under CI (`CI=true`),
 * where scripts/install-deps.sh has run: a skip there would hide a missing install step.
 */
export function needProgram(ctx: Context, program: keyof typeof TEST_PROGRAMS & string): void {
  if (findProgram(program)) return;
  const fix = `apt-get install -y ${TEST_PROGRAMS[program]}`;
  if (process.env.CI)
    throw new Error(`${program} is missing on this CI machine: scripts/install-deps.sh must install it (${fix})`);
  process.stderr.write(`  skipped: ${program} is not installed (${fix})\n`);
  ctx.skip();
}
