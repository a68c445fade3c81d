export * from './hostlist.js';
export * from './progress-model.js';
export * from './plain.js';
export * from './json.js';
export * from './test-renderer.js';
export * from './recap.js';
export * from './listr.js';
