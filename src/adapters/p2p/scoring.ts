/**
 * Gossipsub v1.1 peer scoring, tuned for a bzzz cluster: 3 to 50 nodes on a LAN or a private
 * network (a pre-shared key), every node subscribed to the same three topics, traffic bursty
 * and low (heartbeats every few seconds, task progress in bursts, batched).
 *
 * | parameter                              | value   | why                                                                  |
 * | -------------------------------------- | ------- | -------------------------------------------------------------------- |
 * | topicWeight (coordination / hmmm / tasks) | 1 / 0.5 / 0.5 | coordination carries claims, heartbeats, elections: it counts most |
 * | P1 timeInMesh weight, quantum, cap     | 0.01, 1 s, 600 | staying in the mesh earns at most +6 per topic after ten minutes |
 * | P2 firstMessageDeliveries weight, decay, cap | 1, 0.9, 20 | forwarding news first earns up to +20, gone within a minute   |
 * | P3 / P3b meshMessageDeliveries, meshFailure | 0 (off) | with a few messages a minute an honest mesh peer often delivers nothing in a window: P3 would prune honest peers in a quiet cluster |
 * | P4 invalidMessageDeliveries weight, decay | -1, 0.997 | -n² for n invalid messages: 4 reach the gossip threshold, 9 the graylist; the count halves in about four minutes, so a flood keeps a peer graylisted for many minutes |
 * | topicScoreCap                          | 50      | good behaviour in all topics never outweighs ten invalid messages    |
 * | P5 appSpecific                         | 0 (off) | no application score yet                                             |
 * | P6 IP colocation                       | 0 (off) | nodes of a test, a compose file or one Kubernetes node share an IP; a sybil needs the cluster key first |
 * | P7 behaviour penalty weight, threshold, decay | -10, 6, 0.99 | broken IWANT promises and GRAFTs during backoff, past a small allowance for restarts |
 * | decayInterval, decayToZero             | 1 s, 0.01 |                                                                    |
 * | retainScore                            | 10 min  | a graylisted peer cannot reset its score by reconnecting             |
 *
 * | threshold                   | value | effect                                                          |
 * | --------------------------- | ----- | --------------------------------------------------------------- |
 * | gossipThreshold             | -10   | below: no IHAVE/IWANT with the peer                             |
 * | publishThreshold            | -50   | below: our own messages are not flooded to the peer             |
 * | graylistThreshold           | -80   | below: every RPC of the peer is ignored                         |
 * | acceptPXThreshold           | 10    | peer exchange only from peers that have behaved for a while     |
 * | opportunisticGraftThreshold | 5     | small meshes: graft better peers early                          |
 *
 * An invalid message is one the envelope layer refuses for a reason every honest node would
 * agree on (bad JSON, a broken schema, a bad signature, a node speaking for another, a message
 * on the wrong channel): the topic validator answers Reject and P4 counts it against the peer
 * that sent it to us. Verdicts an honest peer can cause answer Ignore: those that depend on the
 * receiver's clock or memory (stale, replayed, from self), so a peer that forwarded a message a
 * moment earlier is never punished for the race, and those of version skew (an unknown message
 * type or envelope version), so a rolling upgrade does not graylist the upgraded nodes, and
 * a sender outside `BZZZ_CLUSTER_MEMBERS`, so a change of the list does not graylist the nodes
 * told first.
 */
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score';

/** Gossipsub topics of bzzz and their weights. */
export function topicScoreParams(weight: number): TopicScoreParams {
  return {
    topicWeight: weight,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 600,
    firstMessageDeliveriesWeight: 1,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 20,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 100,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    invalidMessageDeliveriesWeight: -1,
    invalidMessageDeliveriesDecay: 0.997,
  };
}

/** Score parameters for the given topics (topic → weight). */
export function peerScoreParams(topics: Readonly<Record<string, number>>): Partial<PeerScoreParams> {
  return {
    topics: Object.fromEntries(Object.entries(topics).map(([topic, w]) => [topic, topicScoreParams(w)])),
    topicScoreCap: 50,
    appSpecificScore: () => 0,
    appSpecificWeight: 0,
    IPColocationFactorWeight: 0,
    IPColocationFactorThreshold: 10,
    behaviourPenaltyWeight: -10,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: 0.99,
    decayInterval: 1000,
    decayToZero: 0.01,
    retainScore: 10 * 60_000,
  };
}

/** Score thresholds (see the table above). */
export const PEER_SCORE_THRESHOLDS: PeerScoreThresholds = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 5,
};
