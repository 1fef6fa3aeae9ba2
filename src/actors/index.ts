export * from './errors.js';
export * from './message.js';
export * from './system.js';
export * from './service.js';
export * from './xstate-child.js';
