export * from './hostlist.js';
export * from './progress-model.js';
export * from './fleet-view.js';
export * from './plain.js';
export * from './json.js';
export * from './test-renderer.js';
export * from './recap.js';
export * from './recap-groups.js';
export * from './reason.js';
// listr.ts is imported by its own path: only a terminal needs listr2, and loading it costs every other run ~20 ms.
