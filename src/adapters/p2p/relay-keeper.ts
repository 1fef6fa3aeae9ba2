/**
 * Keeps a reservation on each configured relay (`BZZZ_P2P_RELAY`) of a running libp2p node.
 *
 * circuit-relay-v2 reserves a slot on a relay when the node listens on
 * `<relay>/p2p-circuit`, but only once: when the relay's connection closes, the reservation and
 * its addresses are gone for good, and a relay that is down when the node starts would fail
 * the whole start. So the relays are not listen addresses of the start; the keeper checks every
 * {@link CHECK_INTERVAL_MS} whether the node still has an address through each relay, and when
 * one has none it dials the relay and listens on its circuit address again. Attempts for one
 * relay are spaced by a backoff (1 s doubling to {@link MAX_BACKOFF_MS}) that resets once the
 * reservation is seen, so a relay that is down costs a dial a minute. Each new reservation
 * adds one listener to libp2p's transport manager (it has no way to drop one alone), which
 * the backoff bounds to one per relay outage.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { describeError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import { addressPeerId } from './addresses.js';
import { relayed } from './nat.js';
import type { Libp2pNode } from './types.js';

/** How often the keeper looks for a lost reservation. */
export const CHECK_INTERVAL_MS = 2_000;
/** Most time between two attempts on a relay that does not answer. */
export const MAX_BACKOFF_MS = 60_000;
/** How long one dial and reservation may take. */
const ATTEMPT_TIMEOUT_MS = 15_000;

interface Relay {
  peer: string;
  address: Multiaddr;
  circuit: Multiaddr;
  busy: boolean;
  held: boolean;
  backoffMs: number;
  nextAttempt: number;
}

/** Holds a reservation on each relay of a list while started. */
export class RelayKeeper {
  readonly #node: Libp2pNode;
  readonly #logger: Logger;
  readonly #relays: Relay[];
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `relays`: checked relay addresses (see `parseRelayAddresses`); this node's own is skipped. */
  constructor(node: Libp2pNode, relays: readonly string[], logger: Logger) {
    this.#node = node;
    this.#logger = logger;
    const self = node.peerId.toString();
    this.#relays = relays
      .filter((address) => addressPeerId(address) !== self)
      .map((address) => ({
        peer: addressPeerId(address),
        address: multiaddr(address),
        circuit: multiaddr(`${address}/p2p-circuit`),
        busy: false,
        held: false,
        backoffMs: 0,
        nextAttempt: 0,
      }));
  }

  /** Peer ids of the relays this node holds a reservation on now. */
  held(): string[] {
    const addresses = this.#node.getMultiaddrs().filter(relayed).map(String);
    return this.#relays
      .filter((relay) => addresses.some((a) => a.includes(`/p2p/${relay.peer}/p2p-circuit`)))
      .map((relay) => relay.peer);
  }

  start(): void {
    if (this.#timer !== undefined || this.#relays.length === 0) return;
    this.#timer = setInterval(() => this.#check(), CHECK_INTERVAL_MS);
    this.#check();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    const held = new Set(this.held());
    const now = Date.now();
    for (const relay of this.#relays) {
      if (held.has(relay.peer)) {
        relay.held = true;
        relay.backoffMs = 0;
        continue;
      }
      if (relay.held) {
        relay.held = false;
        this.#logger.warn({ relay: relay.peer }, 'lost the reservation on a relay; reserving again');
      }
      if (relay.busy || now < relay.nextAttempt) continue;
      relay.busy = true;
      relay.backoffMs = Math.min(Math.max(1_000, relay.backoffMs * 2), MAX_BACKOFF_MS);
      relay.nextAttempt = now + relay.backoffMs;
      this.#reserve(relay)
        .catch((error: unknown) => {
          this.#logger.warn(
            { relay: relay.address.toString(), err: describeError(error), retryInMs: relay.backoffMs },
            'could not reserve a slot on a relay',
          );
        })
        .finally(() => {
          relay.busy = false;
        });
    }
  }

  async #reserve(relay: Relay): Promise<void> {
    const signal = AbortSignal.timeout(ATTEMPT_TIMEOUT_MS);
    await this.#node.dial(relay.address, { signal });
    if (this.#timer === undefined) return;
    await this.#node.services.nat.listen(relay.circuit);
    this.#logger.info({ relay: relay.peer }, 'reserved a slot on a relay');
  }
}
