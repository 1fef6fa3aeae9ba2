/**
 * Signed name records: `bzzz://<node id>/<path>` → a value (a blob hash, an address), signed by
 * the node the name belongs to. They live in the DHT under the key `/bzzz/<node id>/<path>`
 * (`bzzz` is the kad-dht namespace whose validator and selector are ours) and travel on
 * `/bzzz/name/1.0.0`. The owner is in the key and its public key is in its node id, so any node
 * checks a record with nothing but the record and its key.
 *
 * A record is `{ v, node, path, value, seq, sig }`: `path` is the name's path in canonical
 * escaped form (the segment grammar of actor addresses, `address.ts`), `seq` a positive safe
 * integer that grows with each publication of the name (a millisecond timestamp, or the last
 * one plus 1: it keeps growing across restarts without a stored counter), and `sig` the
 * owner's Ed25519 signature (base64) over {@link NAME_RECORD_DOMAIN} followed by the canonical
 * encoding of every other member. The domain prefix keeps a record's signature from ever
 * passing for an envelope's, which the same key signs. The wire form is the canonical JSON of
 * the whole record. Of two valid records of one name the higher `seq` wins; at equal `seq` the
 * greater wire bytes, so every node picks the same one.
 *
 * Issue 16's semantic names (`<owner>~<repo>:<n>/log`, ...) are paths of the publishing node's
 * names: every segment they use is a valid path segment here.
 */
import { sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { ADDRESS_SCHEME, formatActorPath, parseActorPath, type Address } from './address.js';
import { canonicalBytes } from './canonical.js';
import { InvalidNameRecordError } from './errors.js';
import { isNodeId, publicKeyForNodeId, type NodeId } from './node-id.js';

/** The kad-dht namespace of name records (first segment of their keys). */
export const NAME_NAMESPACE = 'bzzz';
/** The libp2p protocol on which nodes ask each other for name records. */
export const NAME_PROTOCOL = '/bzzz/name/1.0.0';
/** What every name record signature covers first. */
export const NAME_RECORD_DOMAIN = 'bzzz name record v1\n';
/** Largest encoded name record, in bytes. */
export const MAX_NAME_RECORD_BYTES = 4096;
/** Longest value of a name record, in characters. */
export const MAX_NAME_VALUE = 2048;

const DOMAIN = Buffer.from(NAME_RECORD_DOMAIN, 'utf8');
const KEY_PREFIX = `/${NAME_NAMESPACE}/`;
// Control characters are refused in values: a value is printed and put in URLs.
// eslint-disable-next-line no-control-regex -- control characters are what it rejects
const CONTROL = /[\u0000-\u001f\u007f]/;
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The schema of a record as it travels (the signature is checked after). */
export const nameRecordSchema = z.strictObject({
  v: z.literal(1),
  node: z.string().max(64),
  path: z.string().min(1).max(MAX_NAME_RECORD_BYTES),
  value: z
    .string()
    .min(1)
    .max(MAX_NAME_VALUE)
    .refine((value) => !CONTROL.test(value), 'control character in the value'),
  seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** base64 of 64 bytes, one spelling only */
  sig: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'not a base64 Ed25519 signature'),
});

/** A signed name record. */
export type NameRecord = z.infer<typeof nameRecordSchema>;

/** The name a record is for: its owning node and its path (segments, unescaped). */
export type NameRef = Address;

/** `bzzz://<node id>/<path>`: a name's text. */
export function formatName(name: NameRef): string {
  return `${ADDRESS_SCHEME}${name.node}/${formatActorPath(name.path)}`;
}

/** The DHT key of a name: `/bzzz/<node id>/<escaped path>` as UTF-8 bytes. */
export function nameKey(name: NameRef): Uint8Array {
  if (!isNodeId(name.node)) throw new InvalidNameRecordError('wrong_key', `${name.node} is not a node id`);
  return Buffer.from(`${KEY_PREFIX}${name.node}/${formatActorPath(name.path)}`, 'utf8');
}

/** The name of a DHT key; throws {@link InvalidNameRecordError} (`wrong_key`). */
export function parseNameKey(key: Uint8Array): NameRef {
  let text: string;
  try {
    text = decoder.decode(key);
  } catch (error) {
    throw new InvalidNameRecordError('wrong_key', 'the key is not UTF-8', { cause: error });
  }
  if (!text.startsWith(KEY_PREFIX)) throw new InvalidNameRecordError('wrong_key', `no ${KEY_PREFIX} prefix`);
  const rest = text.slice(KEY_PREFIX.length);
  const slash = rest.indexOf('/');
  const node = slash < 0 ? rest : rest.slice(0, slash);
  if (slash < 0 || !isNodeId(node)) {
    throw new InvalidNameRecordError('wrong_key', 'the key does not name a node id and a path');
  }
  try {
    return { node, path: parseActorPath(rest.slice(slash + 1)) };
  } catch (error) {
    throw new InvalidNameRecordError('wrong_key', 'the key has no valid path', { cause: error });
  }
}

/** The next `seq` to publish: the clock in ms, or one past the last when the clock is behind. */
export function nextNameSeq(nowMs: number, last = 0): number {
  return Math.max(Math.floor(nowMs), last + 1);
}

/** Signs `name` → `value` at `seq` with the owner's private key (its node id is `name.node`). */
export function signNameRecord(name: NameRef, value: string, seq: number, privateKey: KeyObject): NameRecord {
  const unsigned = { v: 1 as const, node: name.node, path: formatActorPath(name.path), value, seq };
  const checked = nameRecordSchema.omit({ sig: true }).safeParse(unsigned);
  if (!checked.success) throw new InvalidNameRecordError('malformed', checked.error.issues[0]?.message ?? '');
  const sig = sign(null, Buffer.concat([DOMAIN, canonicalBytes(unsigned)]), privateKey).toString('base64');
  const record = { ...unsigned, sig };
  if (!verifies(record, name.node)) {
    throw new InvalidNameRecordError('bad_signature', `the private key is not the key of ${name.node}`);
  }
  return record;
}

/** The wire bytes of a record: its canonical JSON. */
export function encodeNameRecord(record: NameRecord): Uint8Array {
  return canonicalBytes(record);
}

/**
 * Checks a record received as a value (its shape, its path, its signature by `record.node`);
 * throws {@link InvalidNameRecordError}. Never trusts the object: it may come from anyone.
 */
export function checkNameRecord(input: unknown): NameRecord {
  const parsed = nameRecordSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidNameRecordError('malformed', `${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`);
  }
  const record = parsed.data;
  if (!isNodeId(record.node)) throw new InvalidNameRecordError('malformed', 'node is not a node id');
  let path: string[];
  try {
    path = parseActorPath(record.path);
  } catch (error) {
    throw new InvalidNameRecordError('malformed', 'path is not a valid name path', { cause: error });
  }
  // one text per path: the signature then covers exactly one name
  if (formatActorPath(path) !== record.path)
    throw new InvalidNameRecordError('malformed', 'path not canonical');
  if (!verifies(record, record.node)) {
    throw new InvalidNameRecordError('bad_signature', `not signed by ${record.node}`);
  }
  return record;
}

/** Decodes and checks a record's wire bytes; throws {@link InvalidNameRecordError}. */
export function decodeNameRecord(bytes: Uint8Array): NameRecord {
  if (bytes.length > MAX_NAME_RECORD_BYTES) {
    throw new InvalidNameRecordError('too_large', `${bytes.length} bytes, over ${MAX_NAME_RECORD_BYTES}`);
  }
  let input: unknown;
  try {
    input = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new InvalidNameRecordError('malformed', 'not UTF-8 JSON', { cause: error });
  }
  return checkNameRecord(input);
}

/** The name a record is for. */
export function nameOfRecord(record: NameRecord): NameRef {
  return { node: record.node, path: parseActorPath(record.path) };
}

/** Throws {@link InvalidNameRecordError} (`wrong_key`) unless `record` is for the name `key` holds. */
export function assertRecordForKey(record: NameRecord, key: Uint8Array): void {
  const name = parseNameKey(key);
  if (name.node !== record.node || formatActorPath(name.path) !== record.path) {
    throw new InvalidNameRecordError(
      'wrong_key',
      `the record is for ${record.node}/${record.path}, not this key`,
    );
  }
}

/**
 * kad-dht's validator for the `bzzz` namespace: throws unless `value` is a well-formed record
 * for the name in `key`, signed by the node the key names.
 */
export function validateNameRecord(key: Uint8Array, value: Uint8Array): void {
  const record = decodeNameRecord(value);
  assertRecordForKey(record, key);
}

/** Positive when `a` beats `b` (higher `seq`, then greater wire bytes), 0 when they are equal. */
export function compareNameRecords(a: NameRecord, b: NameRecord): number {
  if (a.seq !== b.seq) return a.seq - b.seq;
  return Buffer.compare(encodeNameRecord(a), encodeNameRecord(b));
}

/**
 * kad-dht's selector for the `bzzz` namespace: the index of the newest valid record for `key`
 * (invalid ones never win; 0 when none is valid).
 */
export function selectNameRecord(key: Uint8Array, records: Uint8Array[]): number {
  let best: NameRecord | undefined;
  let index = 0;
  records.forEach((bytes, i) => {
    let record: NameRecord;
    try {
      record = decodeNameRecord(bytes);
      assertRecordForKey(record, key);
    } catch {
      return;
    }
    if (best === undefined || compareNameRecords(record, best) > 0) {
      best = record;
      index = i;
    }
  });
  return index;
}

function verifies(record: NameRecord, node: NodeId): boolean {
  const publicKey = publicKeyForNodeId(node);
  const signature = Buffer.from(record.sig, 'base64');
  if (publicKey === undefined || signature.length !== 64) return false;
  const { sig: _sig, ...unsigned } = record;
  try {
    return verify(null, Buffer.concat([DOMAIN, canonicalBytes(unsigned)]), publicKey, signature);
  } catch {
    return false;
  }
}
