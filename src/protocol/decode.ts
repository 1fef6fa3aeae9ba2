/**
 * Receipt of a message: bytes from any transport in, a typed envelope or a reason out.
 * `decodeEnvelope` never throws. Checks run cheapest first, so junk costs little:
 *
 *   size → JSON → depth → version → frame → type → data → sender → self → member → signature → replay
 *
 * The signature is checked over the members as received (unknown members of `data` included,
 * before the schema strips them), and the replay guard is consulted only after the signature
 * holds, so a forger cannot burn the id of a message still to come. The signed bytes are taken
 * from the wire itself when the sender wrote the canonical form (see `signature-check.ts`),
 * and re-encoded canonically otherwise.
 * Frame and data are checked by hand-written fast paths where they vouch for the input, by the
 * zod schemas otherwise (same verdicts, same reasons: the schemas are the reference).
 */
import { parseEnvelopeFrame, UNSIGNED, type Envelope } from './envelope.js';
import { parseMessageData } from './fast-data.js';
import { MAX_DEPTH, MAX_ENVELOPE_BYTES, PROTOCOL_VERSION } from './limits.js';
import { MESSAGE_TYPES, type MessageType } from './messages/index.js';
import { publicKeyForNodeId, type NodeId } from './node-id.js';
import type { ReplayGuard } from './replay-guard.js';
import { signatureHolds } from './signature-check.js';

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
  'not_member',
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
  /**
   * The cluster's members (`BZZZ_CLUSTER_MEMBERS`): a message from any other node is rejected
   * (`not_member`) before its signature is checked, so a stranger costs no verification.
   * Absent: every node that signs is heard.
   */
  members?: ReadonlySet<NodeId>;
}

/** The outcome of {@link decodeEnvelope}. */
export type DecodeResult =
  | { ok: true; envelope: Envelope }
  | { ok: false; reason: RejectReason; /** For logs: what was wrong, briefly. */ detail: string };

/**
 * The message types, for `isMessageType` on the receive path: a map finds a fresh string by
 * its hash, where a property lookup first looks it up among all the interned strings.
 */
const KNOWN_TYPES: ReadonlySet<string> = new Set(MESSAGE_TYPES);

function isKnownType(type: string): type is MessageType {
  return KNOWN_TYPES.has(type);
}

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
    // A Buffer decodes itself; a plain Uint8Array (what NATS hands over) through a view.
    text =
      input instanceof Buffer
        ? input.toString()
        : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return reject('bad_json', 'not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return reject('schema', 'not an object');
  if (!shallowEnough(json, MAX_DEPTH)) return reject('too_deep', `nested deeper than ${MAX_DEPTH}`);

  const raw = json as Record<string, unknown>;
  const v = raw.v;
  if (typeof v === 'number' && Number.isInteger(v) && v > PROTOCOL_VERSION) {
    return reject('unsupported_version', `version ${v}`);
  }
  const frame = parseEnvelopeFrame(raw);
  if (!frame.success) return reject('schema', firstIssue(frame.error.issues));
  const envelope = frame.data;
  const type = envelope.type;
  if (!isKnownType(type)) return reject('unknown_type', type.slice(0, 64));
  const data = parseMessageData(type, envelope.data);
  if (!data.success) return reject('bad_data', `${type}: ${firstIssue(data.error.issues)}`);

  const publicKey = publicKeyForNodeId(envelope.from);
  if (publicKey === undefined) return reject('bad_sender', 'from is not a node id');
  if (options.self !== undefined && envelope.from === options.self)
    return reject('from_self', 'from this node');
  if (options.members !== undefined && !options.members.has(envelope.from))
    return reject('not_member', 'from a node outside BZZZ_CLUSTER_MEMBERS');

  if (options.verify) {
    if (envelope.sig === UNSIGNED) return reject('bad_signature', 'unsigned');
    if (!signatureHolds(input, text, raw, envelope, publicKey)) {
      return reject('bad_signature', 'does not verify against from');
    }
  }

  if (options.seen !== undefined) {
    const verdict = options.seen.check(envelope.id, timestampMs(envelope.timestamp));
    if (verdict !== 'fresh')
      return reject(verdict, verdict === 'stale' ? 'outside the time window' : 'id seen before');
  }
  // The frame is a fresh object (the fast path's or the schema's): it takes the checked data.
  envelope.data = data.data;
  return { ok: true, envelope: envelope as Envelope };
}

function firstIssue(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const issue = issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path.map((p) => (typeof p === 'symbol' ? '?' : String(p))).join('.');
  return `${path === '' ? '(root)' : path}: ${issue.message}`.slice(0, 200);
}

/** The timestamp last parsed by {@link timestampMs}, and its time. */
let lastTimestamp = '';
let lastTimestampMs = Number.NaN;

/**
 * `Date.parse(timestamp)`, remembered for the last timestamp: messages come in bursts, many
 * to a millisecond, and a comparison costs a fraction of a parse.
 */
function timestampMs(timestamp: string): number {
  if (timestamp !== lastTimestamp) {
    lastTimestampMs = Date.parse(timestamp);
    lastTimestamp = timestamp;
  }
  return lastTimestampMs;
}

/**
 * True when a value made by `JSON.parse` nests no deeper than `depth` levels of arrays and
 * objects (what `inspectJson` decides, without also judging key order, which only the canonical
 * re-encoding needs).
 */
function shallowEnough(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (depth < 1) return false;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) {
      if (typeof item === 'object' && item !== null && !shallowEnough(item, depth - 1)) return false;
    }
    return true;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const member = record[key];
    if (typeof member === 'object' && member !== null && !shallowEnough(member, depth - 1)) return false;
  }
  return true;
}
