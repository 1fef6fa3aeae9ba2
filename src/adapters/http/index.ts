/**
 * The node's HTTP port (SPEC §6): health, metrics and the JSON API. The server reads what it
 * serves from a {@link NodeView}; it holds no state of its own.
 */
export type * from './types.js';
export { startHttpServer, serveApp, type FetchHandler, type NodeBindings } from './server.js';
