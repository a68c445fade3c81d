export * from './journal.js';
export * from './redact.js';
export * from './journal-ends.js';
