/**
 * The claim port: leases with fencing tokens in a linearizable store (SPEC §8).
 *
 * A lease says "holder H owns key K until expiresAt, under token T". Tokens strictly increase
 * per key across every grant (first claim, takeover after expiry, re-claim after release), so
 * an effect fenced by `lease.assertHeld()` can never be made by a holder that was superseded.
 * Renewal keeps the token of the grant and moves `expiresAt`. Keys are opaque strings: task
 * keys (`local:demo/app#3`) and the election's `leader` key share one store.
 */
import { ForgeClaimStore, type ForgeClaimStoreInit } from './forge.js';
import { JetStreamClaimStore, type JetStreamClaimStoreInit } from './jetstream.js';
import { MemoryClaimStore } from './memory.js';
import type { ClaimStore, ClaimStoreComponents } from './types.js';

export type * from './types.js';
export {
  ClaimStoreConfigError,
  ClaimStoreStoppedError,
  ClaimStoreUnavailableError,
  InvalidLeaseRequestError,
  LeaseLostError,
  type LeaseLostReason,
} from './errors.js';
export { MemoryClaimStore } from './memory.js';
export { ForgeClaimStore, type ForgeClaimStoreInit } from './forge.js';
export { ClaimRecordCorruptError } from './forge-record.js';
export {
  JetStreamClaimStore,
  type JetStreamClaimStoreComponents,
  type JetStreamClaimStoreInit,
} from './jetstream.js';

/** User options of a claim store. */
export type ClaimStoreInit =
  /** The in-process table of the embedded default. */
  | { backend: 'memory' }
  /** JetStream KV `bzzz-<cluster>-claims`, for agents in several processes or machines. */
  | ({ backend: 'jetstream' } & JetStreamClaimStoreInit)
  /** Files in the local forge's directory, for agents in several processes of one host. */
  | ({ backend: 'forge' } & ForgeClaimStoreInit);

/** Builds the claim store chosen by `init`. */
export function createClaimStore(init: ClaimStoreInit, components: ClaimStoreComponents): ClaimStore {
  switch (init.backend) {
    case 'memory':
      return new MemoryClaimStore(components);
    case 'jetstream':
      return new JetStreamClaimStore(init, components);
    case 'forge':
      return new ForgeClaimStore(init, components);
  }
}
