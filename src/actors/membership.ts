/**
 * The membership subtree: one peer actor per known node, fed by the cluster's broadcasts.
 *
 * ```
 * membership (rest_for_one)
 * ├── peers (dynamic): <node id> … one `peerMachine` actor per other node
 * └── listener: availability and capability broadcasts on the coordination topic
 * ```
 * The listener starts a peer actor the first time it hears of a node and forwards every later
 * broadcast of that node to it as a beat. Peer actors tick on the injected clock; a peer that
 * misses 3 beats is suspect, 5 beats dead: its actor ends (transient, so the dynamic
 * supervisor forgets it) and the node stays listed as dead in the read model for a while.
 * Each state change goes to the read model ({@link PeersView}) and the `bzzz_peers{state}`
 * gauge. Hearing of a new node asks the broadcaster to announce this node's capabilities
 * again, so a node that joins late learns about the ones already there.
 */
import { PEER_STATES, type PeerState } from '../machines/peer.js';
import type { MembershipOptions } from './peer.js';
import type { NodeId } from '../protocol/index.js';
import { createPeersView, type PeersView } from './peers-view.js';
import type { ChildSpec } from '../supervisor/child.js';
import { supervisorSpec } from '../supervisor/spec.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { listenerSpec } from './membership-listener.js';

export { createPeersView, PEER_STATES, type PeersView, type PeerState };
export { ANNOUNCE, clockTicker, peerSpec, type MembershipOptions } from './peer.js';

/** The membership subtree. */
export function membershipSpec(options: MembershipOptions, id = 'membership'): ChildSpec {
  let peers: Supervisor | undefined;
  return supervisorSpec(id, {
    strategy: 'rest_for_one',
    children: [
      supervisorSpec('peers', { strategy: 'dynamic' }, { onStarted: (s) => (peers = s) }),
      listenerSpec(options, () => peers),
    ],
  });
}

/** The system path of a peer actor under the membership subtree at `membershipPath`. */
export function peerPath(membershipPath: string, node: NodeId): string {
  return `${membershipPath}/peers/${node}`;
}
