/**
 * Ansible connection variables firebreak does not act on, said once each: an inventory that works
 * with Ansible must not behave differently here without a word.
 */
import type { Host } from '../core/host.js';

/** The `ansible_*` variables firebreak honours (connection.ts, ssh-argv.ts, the become settings). */
const HONOURED = new Set([
  'ansible_host',
  'ansible_ssh_host',
  'ansible_port',
  'ansible_ssh_port',
  'ansible_user',
  'ansible_ssh_user',
  'ansible_password',
  'ansible_ssh_pass',
  'ansible_ssh_password',
  'ansible_ssh_private_key_file',
  'ansible_private_key_file',
  'ansible_ssh_common_args',
  'ansible_ssh_extra_args',
  'ansible_timeout',
  'ansible_ssh_timeout',
  'ansible_connection',
  'ansible_become',
  'ansible_become_user',
  'ansible_become_method',
  'ansible_become_password',
  'ansible_become_pass',
]);

/** Why a well-known variable makes no difference, where there is a reason worth giving. */
const WHY: Record<string, string> = {
  ansible_python_interpreter: 'firebreak runs no Python on hosts',
  ansible_ssh_pipelining: 'firebreak always streams commands over one connection',
  ansible_pipelining: 'firebreak always streams commands over one connection',
  ansible_shell_type: 'commands always run under /bin/sh',
  ansible_shell_executable: 'commands always run under /bin/sh',
};

/** One warning per unhonoured `ansible_*` variable, naming it and how many hosts carry it. */
export function unhonouredVarWarnings(hosts: readonly Host[]): string[] {
  const seen = new Map<string, number>();
  for (const h of hosts)
    for (const k of Object.keys(h.vars))
      if (k.startsWith('ansible_') && !HONOURED.has(k)) seen.set(k, (seen.get(k) ?? 0) + 1);
  return [...seen].map(
    ([k, n]) =>
      `inventory variable ${k} (${n} host${n === 1 ? '' : 's'}) is not honoured by firebreak${WHY[k] ? `: ${WHY[k]}` : ''}`,
  );
}
