/**
 * Ed25519 signatures over envelopes, with node:crypto. The signed bytes are the canonical
 * encoding (see `canonical.ts`) of the envelope without `sig`; the wire form is the canonical
 * encoding of the whole envelope, so what a node sends is byte-for-byte what it signed plus
 * the signature member. `sealEnvelope` signs and encodes in one pass: `sig` sorts between
 * `id` and `timestamp`, both always present, so the wire text is the signed text with the
 * signature member spliced in at that top-level boundary.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import { canonicalBytes, canonicalJson } from './canonical.js';
import { envelopeStamp, UNSIGNED, type EnvelopeOf, type UnsignedEnvelopeOf } from './envelope.js';
import { PROTOCOL_VERSION } from './limits.js';
import type { MessageType } from './messages/index.js';
import type { NodeId } from './node-id.js';

/** The bytes a signature covers: the canonical encoding of every member but `sig`. */
export function signingBytes(envelope: object): Buffer {
  return canonicalBytes(withoutSig(envelope));
}

/** Signs an envelope with the sender's Ed25519 private key. */
export function signEnvelope<T extends MessageType>(
  unsigned: UnsignedEnvelopeOf<T>,
  privateKey: KeyObject,
): EnvelopeOf<T> {
  const sig = sign(null, signingBytes(unsigned), privateKey).toString('base64');
  return { ...unsigned, sig };
}

/** An envelope signed and encoded for the wire in one pass. */
export interface SealedEnvelope<T extends MessageType> {
  envelope: EnvelopeOf<T>;
  /** The wire bytes (canonical JSON of the signed envelope). */
  bytes: Buffer;
}

/**
 * Signs `unsigned` with `privateKey` (or leaves it unsigned when `privateKey` is `null`, for a
 * network where signing is turned off) and encodes it, canonicalising only once.
 */
export function sealEnvelope<T extends MessageType>(
  unsigned: UnsignedEnvelopeOf<T>,
  privateKey: KeyObject | null,
): SealedEnvelope<T> {
  const { rest, sig, bytes } = seal(unsigned, privateKey);
  const envelope: EnvelopeOf<T> = { ...rest, sig };
  return { envelope, bytes };
}

/**
 * The wire bytes {@link sealEnvelope} writes, without building the signed envelope object:
 * what a bus needs to send.
 */
export function sealEnvelopeBytes<T extends MessageType>(
  unsigned: UnsignedEnvelopeOf<T>,
  privateKey: KeyObject | null,
): Buffer {
  return seal(unsigned, privateKey).bytes;
}

function seal<T extends MessageType>(
  unsigned: UnsignedEnvelopeOf<T>,
  privateKey: KeyObject | null,
): { rest: UnsignedEnvelopeOf<T>; sig: string; bytes: Buffer } {
  // What `createEnvelope` makes (a plain object without `sig`) is encoded as it is; anything
  // else is first copied into one, as a signed envelope sealed again may be.
  const rest =
    'sig' in unsigned || Object.getPrototypeOf(unsigned) !== Object.prototype
      ? withoutSig(unsigned)
      : unsigned;
  const text = canonicalJson(rest);
  // The signed bytes are needed only to sign.
  const sig =
    privateKey === null ? UNSIGNED : sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64');
  // Members after the top-level `id` (timestamp, to, type, v) are strings and a number, whose
  // JSON text cannot hold an unescaped quote: the last `,"id":<id>` is the top-level one.
  const marker = `,"id":${JSON.stringify(rest.id)}`;
  const at = text.lastIndexOf(marker);
  const boundary = at + marker.length;
  if (at < 0 || !text.startsWith(',"timestamp":', boundary)) {
    return { rest, sig, bytes: encodeEnvelopeBytes({ ...rest, sig }) };
  }
  const wire = `${text.slice(0, boundary)},"sig":${JSON.stringify(sig)}${text.slice(boundary)}`;
  return { rest, sig, bytes: Buffer.from(wire, 'utf8') };
}

function withoutSig<T extends object>(envelope: T): T {
  const { sig: _sig, ...rest } = envelope as T & { sig?: unknown };
  return rest as T;
}

/**
 * The wire bytes of an envelope sent with signing turned off by configuration: its JSON text
 * as `JSON.stringify` writes it, with `sig` empty. No signature covers these bytes, so the
 * canonical order would buy nothing; receivers read any member order. `unsigned` must be what
 * `createEnvelope` (or `envelopeOfCheckedData`) returned, whose data is checked to hold only
 * JSON values, so nothing is coerced here.
 */
export function unsignedEnvelopeBytes<T extends MessageType>(unsigned: UnsignedEnvelopeOf<T>): Buffer {
  return Buffer.from(JSON.stringify({ ...unsigned, sig: UNSIGNED }), 'utf8');
}

/**
 * The text of checked data as the wire carries it: canonical JSON when the envelope is signed,
 * plain JSON otherwise. Throws `CanonicalEncodingError` for what is no JSON value.
 */
export function encodeData(data: unknown, signed: boolean): string {
  return signed ? canonicalJson(data) : JSON.stringify(data);
}

/**
 * The wire bytes of a new envelope of `type` from `from`, without `to` or `corr`, around data
 * already encoded by {@link encodeData} (and checked against its schema by the caller): a bus
 * that encodes each message when it is published and sends several as one `message_batch`
 * later writes the envelope around their texts. Written in canonical member order, so the
 * signature (when `privateKey` is set) covers exactly what `signingBytes` would give, and the
 * receiver verifies it over the wire without the `sig` member as for any envelope.
 */
export function sealEncodedEnvelope(
  type: MessageType,
  dataText: string,
  from: NodeId,
  privateKey: KeyObject | null,
  clock: Clock,
): Buffer {
  const { id, timestamp } = envelopeStamp(type, from, clock);
  // A node id is base58 and a message type a plain name: neither needs escaping.
  const head = `{"data":${dataText},"from":"${from}","hop_count":0,"id":"${id}"`;
  const tail = `,"timestamp":"${timestamp}","type":"${type}","v":${PROTOCOL_VERSION}}`;
  const sig =
    privateKey === null
      ? UNSIGNED
      : sign(null, Buffer.from(head + tail, 'utf8'), privateKey).toString('base64');
  return Buffer.from(`${head},"sig":"${sig}"${tail}`, 'utf8');
}

/** An envelope sent with signing turned off by configuration (`sig` is empty). */
export function unsignedEnvelope<T extends MessageType>(unsigned: UnsignedEnvelopeOf<T>): EnvelopeOf<T> {
  return { ...unsigned, sig: UNSIGNED };
}

/**
 * True when `envelope.sig` is a valid signature of the rest by `publicKey` (the key of the
 * claimed sender: pass `publicKeyForNodeId(envelope.from)`). Never throws: a missing key, an
 * empty or malformed signature, or an envelope with no canonical form is simply `false`.
 */
export function verifyEnvelope(envelope: object, publicKey: KeyObject | undefined): boolean {
  const sig = (envelope as { sig?: unknown }).sig;
  if (publicKey === undefined || typeof sig !== 'string' || sig === UNSIGNED) return false;
  const signature = Buffer.from(sig, 'base64');
  if (signature.length !== 64) return false;
  try {
    return verify(null, signingBytes(envelope), publicKey, signature);
  } catch {
    return false;
  }
}

/** The wire form of an envelope: its canonical JSON text. */
export function encodeEnvelope(envelope: EnvelopeOf<MessageType>): string {
  return canonicalJson(envelope);
}

/** The wire form of an envelope as UTF-8 bytes. */
export function encodeEnvelopeBytes(envelope: EnvelopeOf<MessageType>): Buffer {
  return canonicalBytes(envelope);
}
