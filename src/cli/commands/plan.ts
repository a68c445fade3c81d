/** `firebreak plan`: per host, the exact commands every step would run, without connecting. */
import type { Command } from 'commander';
import { ExitCode, PHASES, InputError, type PhaseName } from '../../core/index.js';
import { formatPlan } from '../../engine/plan-format.js';
import { planRun } from '../../engine/planner.js';
import { loadRunbook } from '../../runbook/index.js';
import { useAnsibleConfig } from '../ansible-config.js';
import {
  addVaultOptions,
  collect,
  groupMap,
  loadHosts,
  resolveRunParams,
  type InventoryOptions,
  type ParamOptions,
} from '../common.js';

export interface SelectionOptions extends InventoryOptions, ParamOptions {
  tags?: string[];
  skipTags?: string[];
  phase?: string[];
}

/** The options `plan` and `run` share: inventory, params and step selection. */
export function addSelectionOptions(cmd: Command): Command {
  return addVaultOptions(
    cmd
      .argument('<runbook>', 'runbook file (.yaml, .yml or .ts)')
      .option('-i, --inventory <path>', 'inventory file or directory (repeatable)', collect),
  )
    .option('-l, --limit <pattern>', "Ansible host pattern, e.g. 'web:!web03', 'web[0:2]' or @file")
    .option('-e, --extra-vars <key=value>', 'set a runbook param (repeatable; @file.yaml reads a file)', collect)
    .option('--params <file>', 'YAML file of runbook params (repeatable)', collect)
    .option('-t, --tags <tag>', 'run only steps with this tag (repeatable)', collect)
    .option('--skip-tags <tag>', 'skip steps with this tag (repeatable)', collect)
    .option('--phase <phase>', `run only this phase (repeatable): ${PHASES.join(', ')}`, collect);
}

export function phaseFilter(names: string[] | undefined): PhaseName[] | undefined {
  if (!names?.length) return undefined;
  const bad = names.filter((n) => !(PHASES as readonly string[]).includes(n));
  if (bad.length)
    throw new InputError(`unknown phase ${bad.map((b) => `"${b}"`).join(', ')}; phases are ${PHASES.join(', ')}`);
  return names as PhaseName[];
}

export function registerPlan(program: Command): void {
  const cmd = addSelectionOptions(
    program.command('plan').description('print the commands each step would run on each host, without connecting'),
  )
    .option('--json', 'print the plan as JSON')
    .action(async (file: string, opts: SelectionOptions & { json?: boolean }) => {
      const loaded = await loadRunbook(file);
      const params = resolveRunParams(loaded.runbook.params, opts);
      const { inventory, hosts, warnings } = await loadHosts(opts);
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      const plan = planRun(loaded.runbook, hosts, params, {
        runbookDir: loaded.dir,
        groups: groupMap(inventory),
        tags: { tags: opts.tags, skipTags: opts.skipTags },
        phases: phaseFilter(opts.phase),
      });
      process.stdout.write((opts.json ? JSON.stringify(plan, null, 2) : formatPlan(plan)) + '\n');
      // A step that cannot be planned (an undefined variable) is bad input.
      if (plan.errors > 0) process.exitCode = ExitCode.BadInput;
    });
  useAnsibleConfig(cmd, ['inventory']);
}
