/**
 * Addresses of remote routing: a system address (`bzzz://<node>/<a>/<b>`, what actors write)
 * against a wire address (the protocol's parsed and escaped form), both ways, and the caches
 * that make each address cost one parse for as long as it is in use.
 *
 * Out, a destination becomes a {@link Route} (its wire address and one frozen bus channel, by
 * which the bus remembers the subject), and a sending actor its wire address. In, a `replyTo`
 * or a sender becomes the system address the receiving actor answers. Per-ask addresses of
 * another node (`…/$ask/<corr>`, which older nodes used) are used once and never remembered.
 */
import type { Channel } from '../adapters/bus/index.js';
import { describeError } from '../lib/errors.js';
import type { RateLimitedLog } from '../lib/log.js';
import { formatAddress, isNodeId, parseAddress, type Address } from '../protocol/index.js';
import type { ActorAddress } from './message.js';

/** The scheme of a system address that names a node. */
export const SCHEME = 'bzzz://';
/** The first path segment of an ask's reply address. */
export const ASK = '$ask';
/** The first path segment of a topic address (older nodes sent topics to it). */
export const TOPIC = '$topic';
/** Destinations remembered (one per remote actor in use); a full cache starts over. */
const ROUTE_CACHE_SIZE = 1024;

/** Where a message for a remote system address goes, worked out once per address. */
export interface Route {
  readonly address: Address;
  /** The address as the wire writes it (escaped, checked). */
  readonly wire: string;
  /** The bus channel, one object per destination (the bus remembers its subject by it). */
  readonly channel: Channel;
}

/** A system address (`bzzz://<node>/<a>/<b>`) as a wire address; `undefined` if it is none. */
export function wireAddress(address: ActorAddress): Address | undefined {
  if (!address.startsWith(SCHEME)) return undefined;
  const rest = address.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const node = rest.slice(0, slash);
  if (!isNodeId(node)) return undefined;
  return { node, path: rest.slice(slash + 1).split('/') };
}

/** A wire address as the system address actors use. */
export function systemAddress(address: Address): ActorAddress {
  return `${SCHEME}${address.node}/${address.path.join('/')}`;
}

/** True for another node's per-ask reply address (`…/$ask/<corr>`), used once. */
function isPerAsk(address: Address): boolean {
  return address.path[0] === ASK && address.path.length > 1;
}

/** The address translations of one binding, each remembered per address. */
export class RemoteAddresses {
  readonly #nodeId: string;
  readonly #log: RateLimitedLog;
  /** system address of a remote actor → its route. */
  readonly #routes = new Map<string, Route>();
  /** wire address of a remote asker or sender → its system address. */
  readonly #askers = new Map<string, string>();
  /** sending actor (local path or system address) → its wire address. */
  readonly #senders = new Map<string, string>();

  constructor(nodeId: string, log: RateLimitedLog) {
    this.#nodeId = nodeId;
    this.#log = log;
  }

  /**
   * The route to a system address on another node (`undefined` for a local or invalid one),
   * remembered, except for per-ask addresses of another node. Throws when the address cannot
   * be written on the wire.
   */
  routeTo(to: ActorAddress): Route | undefined {
    const known = this.#routes.get(to);
    if (known !== undefined) return known;
    const address = wireAddress(to);
    if (address === undefined || address.node === this.#nodeId) return undefined;
    const wire = formatAddress(address);
    Object.freeze(address.path);
    const route: Route = {
      address,
      wire,
      channel: Object.freeze({ kind: 'actor', address: Object.freeze(address) }),
    };
    if (isPerAsk(address)) return route;
    if (this.#routes.size >= ROUTE_CACHE_SIZE) this.#routes.clear();
    this.#routes.set(to, route);
    return route;
  }

  /** The system address a wire address (a `replyTo`, a sender) names, remembered per address. */
  systemAddressOf(wire: string): ActorAddress {
    let address = this.#askers.get(wire);
    if (address === undefined) {
      const parsed = parseAddress(wire);
      address = systemAddress(parsed);
      if (isPerAsk(parsed)) return address;
      if (this.#askers.size >= ROUTE_CACHE_SIZE) this.#askers.clear();
      this.#askers.set(wire, address);
    }
    return address;
  }

  /**
   * The wire address of a sending actor: a local path names an actor of this node. Remembered
   * per sender; one that is no valid address is left out (logged), the message still goes.
   */
  senderAddress(from: ActorAddress): string | undefined {
    const known = this.#senders.get(from);
    if (known !== undefined) return known;
    const address = from.startsWith(SCHEME)
      ? wireAddress(from)
      : { node: this.#nodeId, path: from.split('/') };
    let wire: string | undefined;
    try {
      if (address !== undefined) wire = formatAddress(address);
    } catch {
      wire = undefined;
    }
    if (wire === undefined) {
      this.#log.warn('remote:bad_from', { from: from.slice(0, 200) }, 'sender address left out of a message');
      return undefined;
    }
    if (this.#senders.size >= ROUTE_CACHE_SIZE) this.#senders.clear();
    this.#senders.set(from, wire);
    return wire;
  }

  /** A `replyTo` other than this node's own asks, formatted; `undefined` if it cannot be. */
  replyAddress(replyTo: ActorAddress): string | undefined {
    const address = wireAddress(replyTo);
    if (address === undefined) return undefined;
    try {
      return formatAddress(address);
    } catch (error) {
      this.#log.warn(
        'remote:unsendable',
        { err: describeError(error) },
        'message cannot be sent to another node',
      );
      return undefined;
    }
  }
}
