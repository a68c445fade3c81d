export * from './journal.js';
export * from './redact.js';
