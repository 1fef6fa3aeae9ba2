/**
 * Hard limits on what a peer may send. Every transport hands raw bytes to `decodeEnvelope`,
 * which checks the size before parsing and the nesting depth right after, so a hostile peer
 * can make us neither allocate nor recurse without bound. The schemas take the finer limits
 * (string lengths, list lengths) from here too, so they are stated in one place.
 */

/** The envelope version this code writes and the only one it accepts. */
export const PROTOCOL_VERSION = 1;

/** Largest encoded envelope accepted, in UTF-8 bytes (NATS's default max payload is 1 MiB). */
export const MAX_ENVELOPE_BYTES = 512 * 1024;

/** Deepest nesting of arrays and objects in a whole envelope (the envelope itself is level 1). */
export const MAX_DEPTH = 32;

/**
 * Deepest nesting of a free-form payload (`actor_message`, `actor_reply`): it sits at level 3
 * of its envelope, or at level 6 inside a `message_batch`, so any valid payload fits the
 * envelope's limit either way and a sender never has to measure it again.
 */
export const MAX_PAYLOAD_DEPTH = MAX_DEPTH - 5;

/** A name, a label, a message type, a model name. */
export const MAX_SHORT = 256;

/** One free-text field: a question, an answer, a summary, a progress message. */
export const MAX_TEXT = 16 * 1024;

/** A task body (the issue text). */
export const MAX_BODY = 256 * 1024;

/** Items in one list (labels, capabilities, task keys, participants). */
export const MAX_LIST = 256;

/** A `bzzz://` address, in characters. */
export const MAX_ADDRESS = 1024;

/** Segments in an actor path. */
export const MAX_PATH_SEGMENTS = 16;

/** One actor path segment, in UTF-8 bytes. */
export const MAX_SEGMENT_BYTES = 200;

/** A correlation id or another opaque identifier. */
export const MAX_ID = 128;
