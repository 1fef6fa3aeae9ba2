/**
 * What a running libp2p node tells about its peers and its own reachability, as `bzzz p2p
 * peers` and `GET /api/v1/p2p/peers` show it: each connected peer with its addresses,
 * protocols and whether it is reached directly or through a relay; and whether others can
 * dial this node (AutoNAT) with the relays it holds a slot on.
 */
import { relayed, relayedConnection } from './nat.js';
import type { Libp2pNode, NatStatus, PeerInfo } from './types.js';

/** Connected peers with their addresses (connections' and identify's) and protocols. */
export async function describePeers(node: Libp2pNode): Promise<PeerInfo[]> {
  const out: PeerInfo[] = [];
  for (const peer of node.getPeers()) {
    const addresses = new Set(node.getConnections(peer).map((c) => c.remoteAddr.toString()));
    let protocols: string[] = [];
    try {
      const stored = await node.peerStore.get(peer);
      for (const { multiaddr: address } of stored.addresses) addresses.add(address.toString());
      protocols = [...stored.protocols].sort();
    } catch {
      // not in the peer store (yet): what the connection says is all we know
    }
    const connection = node.getConnections(peer).some((c) => !relayedConnection(c)) ? 'direct' : 'relayed';
    out.push({ id: peer.toString(), addresses: [...addresses].sort(), protocols, connection });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** The node's reachability per AutoNAT, and the relays its relayed addresses go through. */
export function natStatusOf(node: Libp2pNode): NatStatus {
  const relays = new Set<string>();
  for (const address of node.getMultiaddrs().filter(relayed)) {
    // <relay address>/p2p/<relay id>/p2p-circuit/p2p/<this node>
    const parts = address.getComponents();
    const hop = parts.findIndex((c) => c.name === 'p2p-circuit');
    const relay = parts[hop - 1];
    if (relay?.name === 'p2p' && relay.value !== undefined) relays.add(relay.value);
  }
  return { reachability: node.services.nat.reachability(), relays: [...relays].sort() };
}
