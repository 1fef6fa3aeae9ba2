export * from './child.js';
export * from './errors.js';
export * from './restart-policy.js';
export * from './spec.js';
export * from './supervisor.js';
export * from './types.js';
