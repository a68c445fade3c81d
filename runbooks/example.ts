/**
 * A TypeScript runbook: the same schema as YAML, with completion and type checks from `defineRunbook`.
 * Run it like a YAML one: `firebreak plan runbooks/example.ts -i inventories/example.ini -e since=2h`.
 * (Outside this repository, import from 'firebreak' instead of the source path.)
 */
import { defineRunbook } from '../src/index.js';

export default defineRunbook({
  name: 'suspicious-login-sweep',
  description: 'Collect login history and listening sockets; snapshot auth logs',
  severity: 'medium',
  tags: ['collect'],
  params: {
    since: { type: 'string', default: '1 hour ago', description: 'journalctl --since value' },
    user: { type: 'string', default: 'root', description: 'Account to look at' },
  },
  phases: {
    collect: [
      { name: 'last logins', shell: 'last -n 50 -- {{params.user}}', register: 'logins', ignore_errors: true },
      { name: 'listening sockets', shell: 'ss -tlnp', timeout: '30s' },
      {
        name: 'auth log since',
        shell: { cmd: 'journalctl --no-pager --since {{params.since}} -u ssh -u sshd' },
        when: 'ne inventory_hostname "bastion"',
        failed_when: 'gt result.rc 1',
      },
      {
        name: 'auth log file',
        fetch: { src: '/var/log/auth.log', dest: 'logs/auth.log' },
        ignore_errors: true,
        become: true,
      },
    ],
  },
});
