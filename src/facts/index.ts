/**
 * Read-only probes: each fact is one object — label, command (or file), parser, findings — see
 * fact.ts; all.ts lists them. The parsers and findings are exported too, for reuse and tests.
 */
export * from './fact.js';
export * from './all.js';
export * from './text.js';
export * from './who.js';
export * from './last.js';
export * from './failed-logins.js';
export * from './auth-log.js';
export * from './accounts.js';
export * from './authorized-keys.js';
export * from './processes.js';
export * from './sockets.js';
export * from './cron.js';
export * from './systemd.js';
export * from './systemd-unowned.js';
export * from './config-hooks.js';
export * from './preload.js';
export * from './packages.js';
export * from './package-verify.js';
export * from './chkrootkit.js';
export * from './rkhunter.js';
export * from './crosscheck.js';
export * from './conntrack.js';
export * from './conntrack-flows.js';
export * from './addresses.js';
export * from './disk.js';
export * from './raw.js';
export * from './sh.js';
export * from './process-files.js';
export * from './network-extra.js';
export * from './user-activity.js';
export * from './kernel.js';
export * from './host-state.js';
export * from './packages-inventory.js';
export * from './ssh-files.js';
export * from './persistence-extra.js';
export * from './logs-extra.js';
export * from './files-scratch.js';
export * from './timeline.js';
export * from './special-files.js';
