/** The write buffer's settings from a store's options, with their defaults. */
import type { UsageStoreOptions } from './types.js';
import type { WriteBufferOptions } from './write-buffer.js';

export function bufferOptions(init: UsageStoreOptions): WriteBufferOptions {
  return {
    capacity: init.bufferCapacity ?? 10_000,
    batchSize: 200,
    baseDelayMs: init.retryBaseMs ?? 500,
    maxDelayMs: init.retryMaxMs ?? 30_000,
  };
}
