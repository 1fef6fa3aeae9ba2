/**
 * The port of task names (issue 16): the name index the resolver, the MCP server and
 * `bzzz resolve` look semantic bzzz:// names up in, and the result tree's manifest.
 */
export type * from './types.js';
