export * from './clock.js';
export * from './errors.js';
export * from './log.js';
export * from './backoff.js';
export * from './resource.js';
export * from './redact.js';
export * from './listen.js';
