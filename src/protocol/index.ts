/**
 * The wire protocol every transport carries (local mailbox, NATS, libp2p): the signed envelope
 * and its message types, canonical encoding, node identity, decoding with trust rules, actor
 * addresses, signed name records, task keys, HMMM thread nodes, and the names of subjects, topics and buckets (SPEC §7, §8).
 */
export * from './address.js';
export * from './bzzz-url.js';
export * from './audit.js';
export * from './canonical.js';
export * from './decode.js';
export * from './envelope.js';
export * from './errors.js';
export * from './fields.js';
export * from './history.js';
export * from './identity.js';
export * from './limits.js';
export * from './messages/index.js';
export * from './name-record.js';
export * from './node-id.js';
export * from './replay-guard.js';
export * from './signing.js';
export * from './subjects.js';
export * from './task-key.js';
export * from './thread-node.js';
export * from './task-names.js';
export * from './token.js';
export * from './topics.js';
export * from './transcript.js';
export * from './tree-manifest.js';
