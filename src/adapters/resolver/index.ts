/**
 * The bzzz:// resolver (issue 16, SPEC §13–14): a {@link Resolver} that turns any address
 * into what it names (a blob, an actor, the records of a semantic name), and its HTTP port
 * (`/v1/resolve`, `/v1/blobs/<hash>`, `/v1/tasks/<task>/<path>`).
 */
export type * from './types.js';
export * from './errors.js';
export { Resolver } from './resolver.js';
export { startResolverServer, type ResolverServerInit } from './http-server.js';
export { fetcherFromRepairSource } from './fetcher.js';
