/** `firebreak inventory list|graph`: what Ansible's `ansible-inventory --list/--graph` would print. */
import type { Command } from 'commander';
import { formatAnsibleJson, listHostsText, toAnsibleListJson, toGraph } from '../../inventory/index.js';
import { useAnsibleConfig } from '../ansible-config.js';
import { addVaultOptions, collect, loadHosts, type InventoryOptions } from '../common.js';
import { registerInventoryHost } from './inventory-host.js';

export function registerInventory(program: Command): void {
  const inv = program.command('inventory').description('inspect an Ansible inventory');
  // A hook on the parent runs before each subcommand: both take -i from ansible.cfg.
  useAnsibleConfig(inv, ['inventory']);
  addVaultOptions(
    inv
      .command('list')
      .description('list the selected hosts (or, with --json, the whole inventory like ansible-inventory --list)')
      .option('-i, --inventory <path>', 'inventory file or directory (repeatable)', collect),
  )
    .option('-l, --limit <pattern>', "Ansible host pattern, e.g. 'web:!web03' or @file")
    .option('--json', 'print the inventory in the shape of `ansible-inventory --list`')
    .action(async (opts: InventoryOptions & { json?: boolean }) => {
      const { inventory, hosts, warnings } = await loadHosts(opts);
      for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
      if (opts.json) {
        process.stdout.write(formatAnsibleJson(toAnsibleListJson(inventory)) + '\n');
      } else {
        process.stdout.write(listHostsText(hosts) + '\n');
      }
    });
  addVaultOptions(
    inv
      .command('graph')
      .description('print the group tree like `ansible-inventory --graph`')
      .argument('[group]', 'group to start at', 'all')
      .option('-i, --inventory <path>', 'inventory file or directory (repeatable)', collect),
  )
    .option('--vars', 'also print variables')
    .action(async (group: string, opts: InventoryOptions & { vars?: boolean }) => {
      const { inventory } = await loadHosts(opts);
      process.stdout.write(toGraph(inventory, { group, vars: opts.vars ?? false }) + '\n');
    });
  registerInventoryHost(inv);
}
