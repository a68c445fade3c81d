/**
 * ansible.cfg and the ANSIBLE_* variables as defaults of a command's options, with Ansible's order:
 * command line > environment variable > ansible.cfg > firebreak's own default. An option given on the
 * command line is never replaced; one left at its default (or not given) takes the configured value.
 */
import type { Command } from 'commander';
import { terminalSafe } from '../core/index.js';
import {
  describeSource,
  locationsFromProcess,
  readAnsibleSettings,
  type AnsibleSettings,
  type CfgLocations,
  type CfgValue,
} from '../inventory/index.js';
import { hostKeyWeakening } from '../transport/index.js';

/** A command option and the setting that supplies its default. */
const OPTION_SETTING = {
  inventory: 'inventory',
  user: 'remoteUser',
  privateKey: 'privateKeyFile',
  forks: 'forks',
  connectTimeout: 'timeout',
} as const satisfies Record<string, keyof AnsibleSettings>;

export type ConfigurableOption = keyof typeof OPTION_SETTING;

/** Ansible's names of the settings, for messages. */
const ANSIBLE_NAME: Record<(typeof OPTION_SETTING)[ConfigurableOption], string> = {
  inventory: 'inventory',
  remoteUser: 'remote_user',
  privateKeyFile: 'private_key_file',
  forks: 'forks',
  timeout: 'timeout',
};

/** What the command's options carry once the hook ran: the settings, for what is not an option. */
export interface AnsibleConfigOptions {
  ansibleConfig?: AnsibleSettings;
}

/**
 * Before `cmd` runs, fill `options` it left at their defaults from the Ansible configuration and put
 * the whole of it in `opts.ansibleConfig`; says on stderr what it took and from where (never a value).
 */
export function useAnsibleConfig(
  cmd: Command,
  options: readonly ConfigurableOption[],
  locations: () => CfgLocations = locationsFromProcess,
): Command {
  return cmd.hook('preAction', (_program, action) => {
    const settings = readAnsibleSettings(locations());
    const taken: string[] = [];
    for (const option of options) {
      const setting = settings[OPTION_SETTING[option]] as CfgValue<unknown> | undefined;
      const given = action.getOptionValueSource(option);
      if (!setting || (given !== undefined && given !== 'default')) continue;
      action.setOptionValueWithSource(option, setting.value, 'config');
      taken.push(`${ANSIBLE_NAME[OPTION_SETTING[option]]} from ${describeSource(setting.source)}`);
    }
    action.setOptionValue('ansibleConfig', settings);
    for (const w of settings.warnings) process.stderr.write(`warning: ${terminalSafe(w)}\n`);
    if (taken.length) process.stderr.write(`ansible config: ${terminalSafe(taken.join('; '))}\n`);
  });
}

/**
 * What ansible.cfg asks of host-key checking, decided as the inventory's `StrictHostKeyChecking=no` is:
 * `host_key_checking = False` and host-key weakening `ssh_args` are ignored with a warning unless
 * `--trust-inventory-host-key-options`; honoured, `False` means `--accept-new` (unknown keys are
 * accepted and recorded, a changed key is still refused), never "no checking".
 */
export function configHostKeyPolicy(
  settings: AnsibleSettings | undefined,
  flags: { trusted: boolean; acceptNew: boolean },
): { acceptNew: boolean; warnings: string[] } {
  const warnings: string[] = [];
  let acceptNew = flags.acceptNew;
  const off = settings?.hostKeyChecking;
  if (off && !off.value && !flags.acceptNew) {
    const where = describeSource(off.source);
    acceptNew = flags.trusted;
    warnings.push(
      flags.trusted
        ? `${where} turns host_key_checking off: honoured as --accept-new (--trust-inventory-host-key-options): host keys of unknown hosts will be accepted and recorded; a changed key is still refused`
        : `${where} turns host_key_checking off: ignored, host keys are verified as usual (--accept-new trusts unknown keys on first use; --trust-inventory-host-key-options honours the setting that way)`,
    );
  }
  const args = settings?.sshArgs;
  const weak = hostKeyWeakening(args?.value).join(', ');
  if (args && weak)
    warnings.push(
      flags.trusted
        ? `${describeSource(args.source)} sets ${weak}: honoured (--trust-inventory-host-key-options): host keys are NOT verified`
        : `${describeSource(args.source)} sets ${weak}, which would switch off host-key verification: ignored, keys are verified as usual (--trust-inventory-host-key-options honours it)`,
    );
  return { acceptNew, warnings };
}
