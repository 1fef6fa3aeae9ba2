/**
 * NAT traversal of a bzzz node (issue 14, "Across NATs"): every node is a circuit-relay-v2
 * relay for the others, dials and listens on `/p2p-circuit` addresses, runs AutoNAT (v1) to
 * learn whether its public addresses can be dialled from outside, and DCUtR to replace a
 * relayed connection by a direct one.
 *
 * What reaches what, with js-libp2p's TCP (`@libp2p/tcp` 11, Node 24):
 * - A node behind any NAT reaches the others through a relay it holds a reservation on
 *   (`BZZZ_P2P_RELAY`, else one relay found among its peers).
 * - DCUtR makes the connection direct when one side can be dialled from outside on an
 *   address it announces: a port forwarded to it by its NAT (by an operator, UPnP-IGD or
 *   NAT-PMP) and given in `BZZZ_P2P_ANNOUNCE`, or a public address of its own. The peer that
 *   was reached through the relay then dials it ("unilateral upgrade" in the DCUtR spec) and
 *   the relayed connection is closed.
 * - Two nodes behind NATs that forward nothing (plain masquerade, any mapping/filtering
 *   behaviour) stay relayed: TCP hole punching needs each side to dial from the port it
 *   listens on (SO_REUSEPORT), which Node's `net.connect` cannot do, so js-libp2p neither dials
 *   so nor trusts the TCP addresses others observe for it (js-libp2p issue #2620). DCUtR's
 *   synchronised dial has no public address to try and gives up after its three attempts.
 *   QUIC would not help with `@chainsafe/libp2p-quic` 2.1.1: it dials from its own UDP socket
 *   on a random port, not the listening one (ChainSafe/js-libp2p-quic issue #68), so the two
 *   NATs' mappings never match (tried in the netns test: three DCUtR timeouts).
 *
 * AutoNAT checks only public addresses, and refuses to dial a host among its own addresses:
 * a node holding a reservation on a relay has the relay's address in its circuit addresses,
 * so it never checks that relay. A node with only private addresses is `private`.
 *
 * Relay service limits, for a cluster of 3-50 nodes: up to 64 reservations (one per node
 * behind a NAT, with room to spare), each for an hour (renewed by its holder before it ends).
 * Inside a private network (a cluster key) every peer is a member, so a relayed connection is
 * unlimited: it carries the bus like a direct one until DCUtR replaces it, and with two NATs
 * that forward nothing it is the only path. Without a key anyone who reaches the node could
 * relay through it, so each relayed connection gets libp2p's default limits (2 minutes,
 * 128 KiB): enough for identify and DCUtR, not for traffic.
 */
import { autoNAT } from '@libp2p/autonat';
import type { CircuitRelayServerInit } from '@libp2p/circuit-relay-v2';
import type { Connection } from '@libp2p/interface';
import { isPrivate } from '@libp2p/utils';
import { isMultiaddr, type Multiaddr } from '@multiformats/multiaddr';

/** Reservations one node's relay service holds at most. */
export const MAX_RELAY_RESERVATIONS = 64;
/** How long a reservation lasts; its holder renews it 5 minutes before it ends. */
export const RELAY_RESERVATION_TTL_MS = 60 * 60 * 1000;

/** Options of the relay service: unlimited relayed connections only inside a private network. */
export function relayServerInit(privateNetwork: boolean): CircuitRelayServerInit {
  return {
    reservations: {
      maxReservations: MAX_RELAY_RESERVATIONS,
      reservationTtl: RELAY_RESERVATION_TTL_MS,
      applyDefaultLimit: !privateNetwork,
    },
  };
}

type AutoNATComponents = Parameters<ReturnType<typeof autoNAT>>[0];
type ConnectionManager = AutoNATComponents['connectionManager'];

/**
 * AutoNAT (v1) whose dial-back is a new connection. `@libp2p/autonat` 3 dials the address it
 * is asked to check with `openConnection(address)`, which returns the connection the request
 * came over (libp2p reuses a direct connection to the same peer), and closes it once done: the
 * requester loses its connection, the answer is never written, and no address is ever
 * confirmed (seen here between two public nodes). Its dials of one address are forced to be
 * new connections, so the check is a real dial from outside and only that connection is
 * closed; its dials of a peer's whole address list (finding random peers) are left alone.
 */
export function autoNATDialingBack(): (components: AutoNATComponents) => unknown {
  const create = autoNAT();
  return (components) => {
    const forcing = new Proxy(components.connectionManager, {
      get(target, property) {
        if (property === 'openConnection') {
          const open: ConnectionManager['openConnection'] = (peer, options) =>
            target.openConnection(peer, isMultiaddr(peer) ? { ...options, force: true } : options);
          return open;
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    return create(
      new Proxy(components, {
        get: (target, property) =>
          property === 'connectionManager' ? forcing : (Reflect.get(target, property) as unknown),
      }),
    );
  };
}

/**
 * Whether others can dial this node, as far as it knows: `public` when a public address of
 * it is confirmed by AutoNAT (a peer dialled it back) or announced (`BZZZ_P2P_ANNOUNCE`);
 * `private` when AutoNAT found its public addresses undialable, or it has none (only LAN or
 * loopback addresses: reachable on its own network at most, and AutoNAT has nothing to test);
 * `unknown` while a public address waits for AutoNAT.
 */
export type Reachability = 'public' | 'private' | 'unknown';

/** One address of the node and what libp2p knows of it (`NodeAddress` of libp2p). */
interface NodeAddress {
  multiaddr: Multiaddr;
  verified: boolean;
  type: string;
  expires: number;
}

/** The libp2p internals the NAT service uses (structural: the package is libp2p's own). */
export interface NatServiceComponents {
  transportManager: { listen(addresses: Multiaddr[]): Promise<void> };
  addressManager: { getAddressesWithMetadata(): NodeAddress[] };
}

/** What bzzz needs of libp2p beyond its public API: listening later, address metadata. */
export interface NatService {
  /** Listens on one more address (a relay's `/p2p-circuit` address) on the running node. */
  listen(address: Multiaddr): Promise<void>;
  reachability(): Reachability;
}

/** The NAT service as a libp2p service (`services.nat`). */
export function natService(): (components: NatServiceComponents) => NatService {
  return (components) => ({
    listen: (address) => components.transportManager.listen([address]),
    reachability: () => reachability(components.addressManager.getAddressesWithMetadata(), Date.now()),
  });
}

/** The node's reachability from its addresses' metadata (see {@link Reachability}). */
export function reachability(addresses: readonly NodeAddress[], now: number): Reachability {
  const direct = addresses.filter((a) => !relayed(a.multiaddr));
  const publicOnes = direct.filter((a) => !isPrivate(a.multiaddr));
  if (publicOnes.some((a) => a.verified)) return 'public';
  // AutoNAT marks an address it failed to confirm unverified until a retry time
  if (publicOnes.length === 0 || publicOnes.every((a) => a.expires > now)) return 'private';
  return 'unknown';
}

/** True for an address through a relay. */
export function relayed(address: Multiaddr): boolean {
  return address.getComponents().some((c) => c.name === 'p2p-circuit');
}

/** True for a connection through a relay (its remote address has a `/p2p-circuit` hop). */
export function relayedConnection(connection: Connection): boolean {
  return relayed(connection.remoteAddr);
}
