/** Errors of the P2P port: each says whether retrying can help. */
import { BzzzError } from '../../lib/errors.js';

/** A swarm key file that is not in libp2p's `/key/swarm/psk/1.0.0/` format. */
export class SwarmKeyError extends BzzzError {
  override readonly name = 'SwarmKeyError';
  constructor(
    readonly source: string,
    readonly problem: string,
  ) {
    super(`${source}: not a swarm key (${problem})`, { retryable: false });
  }
}

/** A listen or bootstrap address that is not a usable multiaddr. */
export class InvalidMultiaddrError extends BzzzError {
  override readonly name = 'InvalidMultiaddrError';
  constructor(
    readonly address: string,
    readonly problem: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${address}: ${problem}`, { ...options, retryable: false });
  }
}

/** The libp2p node could not start (a port in use, a bad address). */
export class P2PStartError extends BzzzError {
  override readonly name = 'P2PStartError';
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options);
  }
}

/**
 * No valid record of a name was found: no connected peer held one and the DHT walk found none
 * (or failed: then `cause` says how). It may be published later, so asking again can help.
 */
export class NameNotFoundError extends BzzzError {
  override readonly name = 'NameNotFoundError';
  constructor(
    /** The name asked for, `bzzz://<node id>/<path>`. */
    readonly bzzzName: string,
    /** Connected peers asked before the DHT walk. */
    readonly peersAsked: number,
    options: { cause?: unknown } = {},
  ) {
    super(`no record of ${bzzzName} (asked ${peersAsked} connected peers and the DHT)`, options);
  }
}
