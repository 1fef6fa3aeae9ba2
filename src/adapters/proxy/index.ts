/**
 * The OpenAI-compatible proxy (SPEC §14): one gate between the agents and the model that
 * holds the real API key, authenticates virtual keys, enforces requests- and tokens-per-minute
 * limits (shared through Redis) and USD budgets per key and per task, and charges every
 * request's tokens, streams included. `openProxy` starts it; `src/node/proxy.ts` makes it a
 * child of a node's tree; `bzzz proxy` runs it alone.
 */
export * from './errors.js';
export * from './types.js';
export { openProxy } from './server.js';
export { addVirtualKey, type NewKeyOptions } from './key-file.js';
export { KEY_NAME, hashKey, parseKeysFile, type VirtualKey, type ProxyPolicy } from './keys.js';
export { BUILTIN_PRICES, PriceTable, loadPriceTable, type ModelPrice } from './pricing.js';
export { LocalUsageSink } from './local-usage-sink.js';
export {
  MemoryUsageSink,
  NO_TASK_GROUP,
  summarize,
  type UsageGrouping,
  type UsageRecord,
  type UsageSink,
  type UsageSummary,
  type UsageSummaryGroup,
} from './usage-sink.js';
export { MemoryRateLimiter, type Bucket, type RateLimiter, type TakeResult } from './limiter.js';
export { RedisRateLimiter } from './redis-limiter.js';
export { redactorFor } from './redact.js';
