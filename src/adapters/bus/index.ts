/**
 * The bus port: how a node's messages reach other processes (SPEC §7). A bus carries signed
 * envelopes on the broadcast channels (coordination, HMMM, one task's discussion) and on actor
 * mailboxes (`bzzz.<cluster>.actor.<node>.<path>`), so an actor reference works across nodes.
 *
 * Every implementation shares one trust boundary (`envelope-bus.ts`): outgoing messages are
 * created, checked against their schema and signed with the node key (or left unsigned when
 * `sign_messages` is off); incoming bytes go through `decodeEnvelope` with a replay guard, and
 * whatever is rejected is counted by reason, logged once per reason per minute and dropped.
 * A bus never throws at a sender of bad bytes, and a failing handler never reaches the
 * transport. Implementations: `local` (one in-memory hub shared by several nodes of one
 * process) and `nats` (a real NATS connection, owned by a supervised connection actor).
 */
export type * from './types.js';
export { BusClosedError } from './errors.js';
export { channelOfSubject, patternSubject, subjectOf } from './channels.js';
export {
  EnvelopeBus,
  type Transport,
  type TransportReceiver,
  type TransportStatusListener,
} from './envelope-bus.js';
export { LocalHub, createLocalBus, subjectMatches } from './local.js';
export { createNatsBus, type NatsBus, type NatsBusInit, type NatsServiceHandlers } from './nats.js';
export type { NatsAuthInit, NatsReconnectInit } from '../nats/index.js';
export { SERVICE_ENDPOINTS, serviceSubject } from '../nats/index.js';
export { requestFromEveryNode, type ServiceRequestInit } from './status-client.js';
