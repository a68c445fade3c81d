/**
 * An inventory plugin configuration (a YAML source whose top level has `plugin:`: aws_ec2,
 * constructed, generator, ...) is Ansible's own code to run, so Ansible runs it: `ansible-inventory
 * -i FILE --list --export` (group variables stay on their groups, `group_vars/` is read by us as for
 * any source), and its JSON is read like an inventory script's. `constructed` works on the hosts of
 * the sources before it, so those are passed first, in order. The vault password, when there is
 * one, goes on stdin (`--vault-password-file /dev/stdin`), never on the command line or on disk.
 */
import type { ValidationIssue } from '../core/errors.js';
import { LIMITS } from '../core/limits.js';
import { addHostVars, addListedGroups, fromAnsibleJson, jsonError } from './inventory-json.js';
import type { InventoryBuilder } from './model.js';
import { ProgramError, runProgram } from './run-program.js';

/** How long `ansible-inventory` may take (a cloud plugin pages through an API). */
export const PLUGIN_TIMEOUT_MS = 120_000;
/** Plugins that read the hosts of earlier sources. */
const READS_EARLIER_SOURCES = /^(ansible\.builtin\.)?constructed$/;

export interface PluginSource {
  file: string;
  /** The `plugin:` value. */
  plugin: string;
  /** Sources given before this one (`-i`, in order). */
  earlier: string[];
  vaultPassword?: string;
}

/** Runs ansible-inventory on the plugin file and adds what it lists; problems go to `issues`. */
export async function loadInventoryPlugin(
  b: InventoryBuilder,
  src: PluginSource,
  issues: ValidationIssue[],
): Promise<void> {
  const issue = (message: string): void => {
    issues.push({ code: 'inventory_plugin', path: '', message, severity: 'error', file: src.file });
  };
  const earlier = READS_EARLIER_SOURCES.test(src.plugin) ? src.earlier : [];
  const args = [
    ...[...earlier, src.file].flatMap((s) => ['-i', s]),
    '--list',
    '--export',
    ...(src.vaultPassword !== undefined ? ['--vault-password-file', '/dev/stdin'] : []),
  ];
  let stdout: string;
  try {
    ({ stdout } = await runProgram('ansible-inventory', args, {
      // A source Ansible cannot parse is a warning to Ansible, an error to us: never a silent empty inventory.
      env: { ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: 'True', ANSIBLE_NOCOLOR: '1' },
      ...(src.vaultPassword !== undefined ? { stdin: src.vaultPassword } : {}),
      timeoutMs: PLUGIN_TIMEOUT_MS,
      maxOutputBytes: LIMITS.inputBytes,
    }));
  } catch (e) {
    if (e instanceof ProgramError && e.notFound)
      return issue(
        `inventory plugin configuration (plugin: ${src.plugin}): reading it needs Ansible's ansible-inventory, ` +
          'which is not installed (install ansible-core: `apt-get install ansible-core` or `pip install ansible-core`)',
      );
    return issue(`inventory plugin ${src.plugin} failed: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = fromAnsibleJson(JSON.parse(stdout), src.file);
  } catch (e) {
    return issue(`ansible-inventory printed invalid JSON (${jsonError(e)})`);
  }
  const listed = addListedGroups(b, data, src.file, issues);
  for (const h of listed.hosts) addHostVars(b, h, listed.hostvars?.[h], src.file, issues);
}
