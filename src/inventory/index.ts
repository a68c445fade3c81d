/**
 * Ansible-compatible inventory: load INI/YAML sources with group/host vars, select hosts with
 * Ansible's patterns, derive connection specs, and print what ansible-inventory would print.
 */
export type { Group, Inventory, Vars } from './model.js';
export { loadInventory, mergeHostVars, type LoadOptions } from './load.js';
export { readVaultPasswordFile, stripLineEnds } from './vault-password.js';
export { selectHosts, splitHostPattern, limitPatterns } from './patterns.js';
export {
  connectionSpec,
  becomeSpec,
  becomePasswordOf,
  jumpFromSshArgs,
  ansibleBool,
  type ConnectionDefaults,
} from './connection.js';
export {
  toAnsibleListJson,
  formatAnsibleJson,
  toGraph,
  listHostsText,
  groupVariables,
  type AnsibleListJson,
  type GraphOptions,
} from './ansible-output.js';
export { ansibleSshCommand, type SshCommand, type SshCommandDefaults } from './ssh-argv.js';
export {
  readAnsibleSettings,
  describeSource,
  type AnsibleSettings,
  type CfgSource,
  type CfgValue,
} from './ansible-cfg.js';
export { findAnsibleCfg, locationsFromProcess, type CfgLocations } from './ansible-cfg-find.js';
export { unhonouredVarWarnings } from './honoured-vars.js';
