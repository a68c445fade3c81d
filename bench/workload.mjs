// The triage workload as plain commands, read from runbooks/triage.yaml so the floor, the comparison
// tools and firebreak always run exactly the same thing.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const runbook = parse(readFileSync(new URL('../runbooks/triage.yaml', import.meta.url), 'utf8'));

/** @type {string[]} */
export const TRIAGE_COMMANDS = runbook.phases.collect.map((step) => step.shell);
