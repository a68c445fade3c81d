export * from './quote.js';
export * from './errors.js';
export * from './host.js';
export * from './exec.js';
export * from './transport.js';
export * from './phases.js';
export * from './plan.js';
export * from './events.js';
