/**
 * Redis as a cache (SPEC §13: never the truth): a client whose every call is bounded and
 * never fails its caller. The content store's cache and the resolver's name cache use it.
 */
export { BoundedRedis, type BoundedRedisInit, type BoundedRedisComponents } from './bounded.js';
