// The triage workload as plain commands, read from bench/workload.yaml so the floor, the comparison
// tools and firebreak always run exactly the same thing.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const runbook = parse(readFileSync(new URL('./workload.yaml', import.meta.url), 'utf8'));

/** @type {string[]} */
export const TRIAGE_COMMANDS = runbook.phases.collect.map((step) => step.shell);
