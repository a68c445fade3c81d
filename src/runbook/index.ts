export * from './schema.js';
export * from './load.js';
export * from './yaml-issues.js';
export * from './params.js';
export * from './templates.js';
export { formatPath, locate } from './positions.js';
export { closest, didYouMean } from './suggest.js';
export * from './context.js';
