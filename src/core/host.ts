/** A host as the inventory resolved it: its name, its merged variables, and its groups. */
export interface Host {
  /** Inventory name (what patterns match). */
  name: string;
  /** Merged variables with Ansible precedence already applied. */
  vars: Record<string, unknown>;
  /** Every group the host belongs to, directly or through children, excluding `all`. */
  groups: string[];
}

/** How to become another user (sudo) for a step. */
export interface Become {
  user: string;
  method: 'sudo';
  /** Secret. Never logged, journaled, reported, or put on a command line. */
  password?: string;
}

/** Everything the transport needs to reach one host, derived from its connection vars. */
export interface ConnectionSpec {
  /** Inventory name, used in messages. */
  name: string;
  address: string;
  port: number;
  user: string;
  privateKeyFile?: string;
  /** Secret: ansible_password / ansible_ssh_pass. */
  password?: string;
  /** `user@host[:port]` of a jump host (ProxyJump), outermost first. */
  jump?: string[];
  /** Raw `ansible_ssh_common_args`, for options we understand (ProxyJump, StrictHostKeyChecking...). */
  sshCommonArgs?: string;
  become?: Become;
  /**
   * Which transport reaches the host: `ssh2` (default, the built-in client), `openssh` (the system
   * `ssh` binary), or `local` (`ansible_connection=local`: commands run on the controller, no SSH).
   */
  transport?: 'ssh2' | 'openssh' | 'local';
}
