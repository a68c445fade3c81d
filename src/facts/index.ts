/**
 * Read-only probes: for each source a command (fixed text, nothing user-provided) and a pure
 * parser of its output, plus the findings drawn from the parsed records.
 */
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
export * from './preload.js';
export * from './packages.js';
export * from './chkrootkit.js';
export * from './rkhunter.js';
export * from './conntrack.js';
export * from './disk.js';
