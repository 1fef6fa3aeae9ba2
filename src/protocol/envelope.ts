/**
 * The envelope every transport carries (SPEC §7):
 * `{ v, id, type, from, to?, timestamp, corr?, hop_count, data, sig }`.
 *
 * The envelope schema checks the frame only (`data` is checked against its type's schema in a
 * second step), and it is strict: an unknown top-level member is a schema error, since the
 * signature covers the whole envelope and a new member means a new version. `sig` is the
 * base64 Ed25519 signature over the canonical bytes of everything else, or the empty string
 * when signing is turned off by configuration.
 */
import { ulid } from 'ulid';
import { z } from 'zod';
import { systemClock, type Clock } from '../lib/clock.js';
import { InvalidMessageError } from './errors.js';
import { addressField, idField, timestampField, ulidField } from './fields.js';
import { PROTOCOL_VERSION } from './limits.js';
import { messageSchemas, type MessageData, type MessageType } from './messages/index.js';
import { isNodeId, type NodeId } from './node-id.js';

/** Hop limit: a relay may forward a message at most this many times. */
export const MAX_HOPS = 255;

/** `sig` of an envelope sent with signing turned off. */
export const UNSIGNED = '';

/** Base64 of 64 bytes, canonical padding (the last character carries 2 zero bits). */
const SIGNATURE = /^(?:[A-Za-z0-9+/]{85}[AQgw]==)?$/;

/** The envelope frame: every member but `data` fully checked. */
export const envelopeSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  id: ulidField,
  type: z.string().min(1).max(64),
  from: z.string().max(64),
  to: addressField.optional(),
  timestamp: timestampField,
  corr: idField.optional(),
  hop_count: z.int().min(0).max(MAX_HOPS),
  data: z.unknown().refine((data) => data !== undefined, 'data is required'),
  sig: z.string().regex(SIGNATURE, 'not a base64 Ed25519 signature'),
});

/** An envelope carrying a message of type `T`. */
export interface EnvelopeOf<T extends MessageType> {
  v: typeof PROTOCOL_VERSION;
  /** A ULID, unique per message (replay protection keys on it). */
  id: string;
  type: T;
  from: NodeId;
  /** The `bzzz://` address of the recipient actor, when there is one. */
  to?: string;
  /** RFC 3339 time of sending. */
  timestamp: string;
  /** Correlation id: ties a reply or follow-up to an earlier message. */
  corr?: string;
  hop_count: number;
  data: MessageData<T>;
  /** Base64 Ed25519 signature, or {@link UNSIGNED}. */
  sig: string;
}

/** An envelope of any known type, narrowed by `type`. */
export type Envelope = { [T in MessageType]: EnvelopeOf<T> }[MessageType];

/** An envelope before signing. */
export type UnsignedEnvelopeOf<T extends MessageType> = Omit<EnvelopeOf<T>, 'sig'>;

/** An unsigned envelope of any known type, narrowed by `type`. */
export type UnsignedEnvelope = { [T in MessageType]: UnsignedEnvelopeOf<T> }[MessageType];

/** What a sender fills in; {@link createEnvelope} adds the rest. */
export interface EnvelopeInit<T extends MessageType> {
  type: T;
  from: NodeId;
  data: MessageData<T>;
  to?: string;
  corr?: string;
  hopCount?: number;
}

/**
 * A new unsigned envelope with a fresh ULID and the current time of `clock`. The data is
 * checked against its type's schema, so bzzz never sends what it would itself reject;
 * throws {@link InvalidMessageError} otherwise.
 */
export function createEnvelope<T extends MessageType>(
  init: EnvelopeInit<T>,
  clock: Clock = systemClock,
): UnsignedEnvelopeOf<T> {
  const checked = messageSchemas[init.type].safeParse(init.data);
  if (!checked.success)
    throw new InvalidMessageError(init.type, z.prettifyError(checked.error), { cause: checked.error });
  if (!isNodeId(init.from))
    throw new InvalidMessageError(init.type, `from ${JSON.stringify(init.from)} is not a node id`);
  const now = clock.now();
  // Members in canonical (sorted) order, so signing takes the fast path of `canonical.ts`.
  const envelope: UnsignedEnvelopeOf<T> = {
    ...(init.corr === undefined ? {} : { corr: init.corr }),
    data: checked.data as MessageData<T>,
    from: init.from,
    hop_count: init.hopCount ?? 0,
    id: ulid(now),
    timestamp: new Date(now).toISOString(),
    ...(init.to === undefined ? {} : { to: init.to }),
    type: init.type,
    v: PROTOCOL_VERSION,
  };
  const frame = envelopeSchema.safeParse({ ...envelope, sig: UNSIGNED });
  if (!frame.success)
    throw new InvalidMessageError(init.type, z.prettifyError(frame.error), { cause: frame.error });
  return envelope;
}
