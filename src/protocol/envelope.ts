/**
 * The envelope every transport carries (SPEC §7):
 * `{ v, id, type, from, to?, timestamp, corr?, hop_count, data, sig }`.
 *
 * The envelope schema checks the frame only (`data` is checked against its type's schema in a
 * second step), and it is strict: an unknown top-level member is a schema error, since the
 * signature covers the whole envelope and a new member means a new version. `sig` is the
 * base64 Ed25519 signature over the canonical bytes of everything else, or the empty string
 * when signing is turned off by configuration.
 *
 * The schema is the reference; {@link parseEnvelopeFrame} answers the common case with a
 * hand-written check of the same rules first (see `fast-fields.ts`), and asks the schema only
 * when that check cannot vouch for the frame.
 */
import { z } from 'zod';
import { systemClock, type Clock } from '../lib/clock.js';
import { InvalidMessageError } from './errors.js';
import { parseMessageData } from './fast-data.js';
import {
  hasOnlyKeys,
  isAddressText,
  isIdText,
  isIntIn,
  isPlainRecord,
  isSignatureText,
  isTimestampText,
  isUlidText,
} from './fast-fields.js';
import { addressField, idField, timestampField, ulidField } from './fields.js';
import { newUlid } from './ids.js';
import { PROTOCOL_VERSION } from './limits.js';
import type { MessageData, MessageType } from './messages/index.js';
import { isNodeId, type NodeId } from './node-id.js';

/** Hop limit: a relay may forward a message at most this many times. */
export const MAX_HOPS = 255;

/** 10000-01-01T00:00:00Z: from then on, `toISOString` writes a six-digit year, not RFC 3339. */
const YEAR_10000 = Date.UTC(10_000, 0, 1);

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

/** A frame as {@link envelopeSchema} returns it. */
export type EnvelopeFrame = z.output<typeof envelopeSchema>;

const FRAME_KEYS: ReadonlySet<string> = new Set(Object.keys(envelopeSchema.shape));

/** The members of a frame but `sig` and the key set: what `createEnvelope` must check too. */
function membersPass(frame: Record<string, unknown>): boolean {
  return (
    frame.v === PROTOCOL_VERSION &&
    isUlidText(frame.id) &&
    isTimestampText(frame.timestamp) &&
    callerMembersPass(frame)
  );
}

/** The members a sender's {@link EnvelopeInit} decides (`createEnvelope` makes the others). */
function callerMembersPass(frame: Record<string, unknown>): boolean {
  return (
    typeof frame.type === 'string' &&
    frame.type.length >= 1 &&
    frame.type.length <= 64 &&
    typeof frame.from === 'string' &&
    frame.from.length <= 64 &&
    (!('to' in frame) || isAddressText(frame.to)) &&
    (!('corr' in frame) || isIdText(frame.corr)) &&
    isIntIn(frame.hop_count, 0, MAX_HOPS) &&
    frame.data !== undefined
  );
}

/**
 * The hand-written check of the frame alone: the frame as {@link envelopeSchema} would return
 * it, or `undefined` when the check cannot vouch for `raw` (the schema then decides).
 */
export function fastEnvelopeFrame(raw: unknown): EnvelopeFrame | undefined {
  if (!isPlainRecord(raw) || !hasOnlyKeys(raw, FRAME_KEYS) || !membersPass(raw)) return undefined;
  const { sig, to, corr } = raw;
  if (!isSignatureText(sig)) return undefined;
  // As zod writes it: the schema's order, optional members only when present. Written out per
  // case rather than with spreads, which cost a clone per optional member on every message.
  const id = raw.id as string;
  const type = raw.type as string;
  const from = raw.from as string;
  const timestamp = raw.timestamp as string;
  const hop_count = raw.hop_count as number;
  const data = raw.data as EnvelopeFrame['data'];
  const v = PROTOCOL_VERSION;
  if (to === undefined) {
    return corr === undefined
      ? { v, id, type, from, timestamp, hop_count, data, sig }
      : { v, id, type, from, timestamp, corr: corr as string, hop_count, data, sig };
  }
  return corr === undefined
    ? { v, id, type, from, to: to as string, timestamp, hop_count, data, sig }
    : { v, id, type, from, to: to as string, timestamp, corr: corr as string, hop_count, data, sig };
}

/** `envelopeSchema.safeParse(raw)`, answered by {@link fastEnvelopeFrame} when it vouches. */
export function parseEnvelopeFrame(raw: unknown): ReturnType<typeof envelopeSchema.safeParse> {
  const data = fastEnvelopeFrame(raw);
  return data === undefined ? envelopeSchema.safeParse(raw) : { success: true, data };
}

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

/** The sender last found to be a node id: a bus sends as one node, message after message. */
let lastFrom: string | undefined;

/**
 * A fresh id and the current time of `clock`, for an envelope written as text (see
 * `sealEncodedEnvelope`); throws {@link InvalidMessageError} when `from` is no node id or the
 * time has no RFC 3339 form.
 */
export function envelopeStamp(
  type: MessageType,
  from: NodeId,
  clock: Clock,
): { id: string; timestamp: string } {
  assertSender(type, from);
  const now = clock.now();
  if (now >= YEAR_10000) throw new InvalidMessageError(type, 'the clock is past the year 9999');
  return { id: newUlid(now), timestamp: isoTime(now) };
}

/** Throws {@link InvalidMessageError} unless `from` is a node id. */
function assertSender(type: MessageType, from: string): void {
  if (from === lastFrom) return;
  if (!isNodeId(from)) throw new InvalidMessageError(type, `from ${JSON.stringify(from)} is not a node id`);
  lastFrom = from;
}

/** The time last written by {@link isoTime}, and its text. */
let lastTime = Number.NaN;
let lastIsoTime = '';

/** `new Date(now).toISOString()`, remembered for the last time: messages come many to a ms. */
function isoTime(now: number): string {
  if (now !== lastTime) {
    lastIsoTime = new Date(now).toISOString();
    lastTime = now;
  }
  return lastIsoTime;
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
  const checked = parseMessageData(init.type, init.data);
  if (!checked.success)
    throw new InvalidMessageError(init.type, z.prettifyError(checked.error), { cause: checked.error });
  const data = checked.data;
  assertSender(init.type, init.from);
  const now = clock.now();
  const id = newUlid(now);
  const timestamp = isoTime(now);
  const { corr, to, type } = init;
  const from = init.from;
  const hop_count = init.hopCount ?? 0;
  const v = PROTOCOL_VERSION;
  // Members in canonical (sorted) order, so signing takes the fast path of `canonical.ts`;
  // written out per case rather than with spreads, which cost a clone per message.
  const envelope: UnsignedEnvelopeOf<T> =
    corr === undefined
      ? to === undefined
        ? { data, from, hop_count, id, timestamp, type, v }
        : { data, from, hop_count, id, timestamp, to, type, v }
      : to === undefined
        ? { corr, data, from, hop_count, id, timestamp, type, v }
        : { corr, data, from, hop_count, id, timestamp, to, type, v };
  // `newUlid` made a valid id (or threw), and `toISOString` writes a valid timestamp for any
  // time before the year 10000. The rest comes from the caller; the schema explains a failure.
  if (now < YEAR_10000 && callerMembersPass(envelope)) return envelope;
  const frame = envelopeSchema.safeParse({ ...envelope, sig: UNSIGNED });
  if (!frame.success)
    throw new InvalidMessageError(init.type, z.prettifyError(frame.error), { cause: frame.error });
  return envelope;
}
