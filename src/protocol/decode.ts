/**
 * Receipt of a message: bytes from any transport in, a typed envelope or a reason out.
 * `decodeEnvelope` never throws. Checks run cheapest first, so junk costs little:
 *
 *   size → JSON → depth → version → frame → type → data → sender → self → signature → replay
 *
 * The signature is checked over the canonical form of the members as received (unknown members
 * of `data` included, before the schema strips them), and the replay guard is consulted only
 * after the signature holds, so a forger cannot burn the id of a message still to come.
 * Frame and data are checked by hand-written fast paths where they vouch for the input, by the
 * zod schemas otherwise (same verdicts, same reasons: the schemas are the reference).
 */
import { verify } from 'node:crypto';
import { canonicalJson, inspectJson } from './canonical.js';
import { parseEnvelopeFrame, UNSIGNED, type Envelope } from './envelope.js';
import { parseMessageData } from './fast-data.js';
import { MAX_DEPTH, MAX_ENVELOPE_BYTES, PROTOCOL_VERSION } from './limits.js';
import { isMessageType } from './messages/index.js';
import { publicKeyForNodeId, type NodeId } from './node-id.js';
import type { ReplayGuard } from './replay-guard.js';

/** Why a message was rejected; the label of `bzzz_messages_rejected_total{reason}`. */
export const REJECT_REASONS = [
  'too_large',
  'bad_json',
  'too_deep',
  'unsupported_version',
  'schema',
  'unknown_type',
  'bad_data',
  'bad_sender',
  'from_self',
  'bad_signature',
  'stale',
  'replayed',
  'internal',
] as const;

/** A reason a message was rejected. */
export type RejectReason = (typeof REJECT_REASONS)[number];

/** How to decode. */
export interface DecodeOptions {
  /** This node's id: a message claiming to come from it is rejected (`from_self`). */
  self?: NodeId;
  /** Check signatures. `false` only by explicit configuration, for a trusted network. */
  verify: boolean;
  /** Replay protection; without it, a repeated id is not noticed. */
  seen?: ReplayGuard;
  /** Size limit in bytes (default {@link MAX_ENVELOPE_BYTES}). */
  maxBytes?: number;
}

/** The outcome of {@link decodeEnvelope}. */
export type DecodeResult =
  | { ok: true; envelope: Envelope }
  | { ok: false; reason: RejectReason; /** For logs: what was wrong, briefly. */ detail: string };

function reject(reason: RejectReason, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}

/** Parses, validates and authenticates one message. Never throws. */
export function decodeEnvelope(input: Uint8Array | string, options: DecodeOptions): DecodeResult {
  try {
    return decode(input, options);
  } catch (error) {
    return reject('internal', error instanceof Error ? error.message : 'unexpected failure');
  }
}

function decode(input: Uint8Array | string, options: DecodeOptions): DecodeResult {
  const maxBytes = options.maxBytes ?? MAX_ENVELOPE_BYTES;
  let text: string;
  if (typeof input === 'string') {
    // A UTF-16 unit is 1 to 3 UTF-8 bytes: count exactly only when it could matter.
    if (input.length > maxBytes || (input.length * 3 > maxBytes && Buffer.byteLength(input) > maxBytes)) {
      return reject('too_large', `over ${maxBytes} bytes`);
    }
    text = input;
  } else {
    if (input.byteLength > maxBytes) return reject('too_large', `${input.byteLength} bytes`);
    text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return reject('bad_json', 'not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return reject('schema', 'not an object');
  const shape = inspectJson(json, MAX_DEPTH);
  if (shape === 'invalid') return reject('too_deep', `nested deeper than ${MAX_DEPTH}`);

  const raw = json as Record<string, unknown>;
  const v = raw.v;
  if (typeof v === 'number' && Number.isInteger(v) && v > PROTOCOL_VERSION) {
    return reject('unsupported_version', `version ${v}`);
  }
  const frame = parseEnvelopeFrame(raw);
  if (!frame.success) return reject('schema', firstIssue(frame.error.issues));
  const envelope = frame.data;
  if (!isMessageType(envelope.type)) return reject('unknown_type', envelope.type.slice(0, 64));
  const data = parseMessageData(envelope.type, envelope.data);
  if (!data.success) return reject('bad_data', `${envelope.type}: ${firstIssue(data.error.issues)}`);

  const publicKey = publicKeyForNodeId(envelope.from);
  if (publicKey === undefined) return reject('bad_sender', 'from is not a node id');
  if (options.self !== undefined && envelope.from === options.self)
    return reject('from_self', 'from this node');

  if (options.verify) {
    if (envelope.sig === UNSIGNED) return reject('bad_signature', 'unsigned');
    const { sig, ...unsigned } = raw;
    // Keys already in canonical order (any canonical sender): the native encoder is canonical.
    const text = shape === 'sorted' ? JSON.stringify(unsigned) : canonicalJson(unsigned);
    if (!verify(null, Buffer.from(text, 'utf8'), publicKey, Buffer.from(sig as string, 'base64'))) {
      return reject('bad_signature', 'does not verify against from');
    }
  }

  if (options.seen !== undefined) {
    const verdict = options.seen.check(envelope.id, Date.parse(envelope.timestamp));
    if (verdict !== 'fresh')
      return reject(verdict, verdict === 'stale' ? 'outside the time window' : 'id seen before');
  }
  return { ok: true, envelope: { ...envelope, data: data.data } as Envelope };
}

function firstIssue(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const issue = issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path.map((p) => (typeof p === 'symbol' ? '?' : String(p))).join('.');
  return `${path === '' ? '(root)' : path}: ${issue.message}`.slice(0, 200);
}
