/** A host as the inventory resolved it: its name, its merged variables, and its groups. */
export interface Host {
  /** Inventory name (what patterns match). */
  name: string;
  /** Merged variables with Ansible precedence already applied. */
  vars: Record<string, unknown>;
  /** Every group the host belongs to, directly or through children, excluding `all`. */
  groups: string[];
  /** Variables whose values came from Ansible Vault: secrets, never journaled or shown. */
  vaultedVars?: string[];
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
  /** Which transport reaches the host (resolve-connection.ts decides; default ssh2). */
  transport?: 'ssh2' | 'openssh' | 'local';
  /** Why that transport: who chose it, or what in the host's ssh config needs OpenSSH. */
  transportReason?: string;
  /** The ssh command line Ansible would run for this host: what the OpenSSH transport runs. */
  sshCommand?: { destination: string; args: string[] };
  /** Where the settings below came from: `ssh -G`, or why OpenSSH's config could not be asked. */
  sshConfigSource?: string;
  /** Key files of the ssh config, tried after privateKeyFile; missing ones are skipped, as ssh does. */
  identityFiles?: string[];
  /** IdentitiesOnly: only the key files, not every key the agent holds. */
  identitiesOnly?: boolean;
  certificateFiles?: string[];
  /** A ProxyCommand that is not a plain `ssh -W` jump (which `jump` carries instead). */
  proxyCommand?: string;
  /** known_hosts files in the order they are read: the first one records accept-new keys. */
  knownHostsFiles?: string[];
  /** Read-only known_hosts files (GlobalKnownHostsFile), read after the user's. */
  globalKnownHostsFiles?: string[];
  /** The resolved StrictHostKeyChecking (yes, no, ask, accept-new, off). */
  strictHostKeyChecking?: string;
  /** The name host keys are recorded under (HostKeyAlias), when not the address. */
  hostKeyAlias?: string;
  connectTimeoutMs?: number;
  /** ServerAliveInterval in ms (0 = off) and ServerAliveCountMax. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
}
