/**
 * The ssh2 transport. Usage for a run:
 *
 * ```ts
 * const session = new SshSession({ knownHostsFile, acceptNew, passphrase });   // one per run
 * const t = session.transport(spec);   // one per host (ConnectionSpec from the inventory)
 * await t.connect();                   // ConnectionError with .reason on failure
 * const r = await t.exec('uname -a', { timeoutMs: 60_000 });
 * await t.close();                     // per host
 * await session.close();               // at the end: closes the pooled jump-host connections
 * ```
 *
 * Contract details the engine relies on:
 * - `connect()` is idempotent while connected and may be called again after a drop (reconnect).
 *   `exec`/`put`/`get` never connect by themselves; when not connected they reject with
 *   ConnectionError reason `closed`, as does an `exec` whose connection drops mid-command.
 * - An exec whose signal is already aborted rejects with AbortError and runs nothing.
 * - A non-zero exit, a remote signal, a timeout and an abort all *resolve* with an ExecResult:
 *   timeout → `timedOut: true`; abort → `timedOut: false` (the caller knows it aborted). In both
 *   cases the remote process tree was killed (TERM, then KILL after ~2 s) before resolving.
 * - Commands always run under `/bin/sh -c` (POSIX sh), whatever the login shell is.
 * - `become` runs `sudo -S -k -p '' -u USER -- /bin/sh -c CMD` with the password written to stdin
 *   only (`sudo -n` without a password). With a become password, `ExecOptions.stdin` is NOT passed
 *   to the command: its stdin is /dev/null (so a password can never leak into a command's input).
 * - Host keys: unknown → `hostkey-unknown` (mentions --accept-new), changed or @revoked →
 *   `hostkey-changed` (possible man-in-the-middle, with the fingerprint). Never prompts.
 *   `ansible_ssh_common_args` may set `ProxyJump`/`-J`, `StrictHostKeyChecking` (`no` acts as
 *   accept-new) and `UserKnownHostsFile`; `spec.jump` wins over ProxyJump when both are set.
 * - `ansible_connection=local` hosts get a LocalTransport (local-transport.ts): the same exec
 *   semantics with `/bin/sh` spawned on the controller in its own session, put/get as local copies.
 * - Jump hosts authenticate with the host's key file and the agent (never its password), and their
 *   host keys are checked against the same known_hosts file.
 *
 * `OpenSshTransport` (the system `ssh`, one ControlMaster per host, see openssh/transport.ts) keeps
 * the same contract, except: a remote *signal* comes back as `code: null, signal: null` (OpenSSH's
 * multiplexing protocol carries exit statuses only); jump hosts, ProxyCommand, certificates, agent
 * and known_hosts are whatever ssh and its config make of them (BatchMode and strict or accept-new
 * host-key checking are always forced); a channel the host refuses (MaxSessions) rejects with
 * ConnectionError reason `other` as with ssh2.
 */
export { SshSession, createSshTransport, hostKeyWeakening, type SshOptions } from './session.js';
export type { PassphraseProvider } from './ssh-auth.js';
export { KnownHostsStore, defaultKnownHostsFile } from './known-hosts-store.js';
export { fingerprint, parseKnownHosts, checkHostKey, type HostKeyVerdict, type KnownHostEntry } from './known-hosts.js';
export { parseSshCommonArgs, parseJumpHop, type JumpHop } from './ssh-args.js';
export { LocalTransport } from './local-transport.js';
export { DEFAULT_MAX_IN_MEMORY_BYTES } from './capture.js';
export { killsDispatched } from './kill-dispatch.js';
export { resolveConnections, resolveConnection, opensshNeeds, type ResolveOptions } from './resolve-connection.js';
export { KnownHostsSet, type HostKeyStore } from './known-hosts-set.js';
// The second transport: the system OpenSSH client, one ControlMaster per host (see openssh/transport.ts).
export { OpenSshTransport } from './openssh/transport.js';
export type { OpenSshOptions, OpenSshSpec } from './openssh/options.js';
