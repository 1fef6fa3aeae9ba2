/**
 * Node ids. A node's id is the libp2p peer id string of its Ed25519 key: base58btc of an
 * identity multihash (code 0x00, length 0x24) of the protobuf-encoded public key
 * (`08 01` = key type Ed25519, `12 20` = 32 bytes of key data). Every such id is 52
 * characters and starts with `12D3KooW`. Implemented here so the protocol needs no libp2p.
 *
 * `publicKeyForNodeId` turns an id into a node:crypto `KeyObject` once and keeps it in a
 * bounded cache, since every received message needs the key of its sender.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { base58Decode, base58Encode } from './base58.js';
import { InvalidNodeIdError } from './errors.js';

/** A node id: a libp2p Ed25519 peer id string (`12D3KooW…`). */
export type NodeId = string;

const MULTIHASH_PREFIX = Uint8Array.from([0x00, 0x24, 0x08, 0x01, 0x12, 0x20]);
/** DER SubjectPublicKeyInfo header of an Ed25519 key; the 32 key bytes follow. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const SHAPE = /^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/;

/** Largest number of sender keys kept parsed. */
const KEY_CACHE_SIZE = 4096;
const keyCache = new Map<string, KeyObject>();

/** The node id of a raw 32-byte Ed25519 public key. */
export function nodeIdFromPublicKey(raw: Uint8Array): NodeId {
  if (raw.length !== 32) throw new InvalidNodeIdError(`<${raw.length} bytes>`, 'an Ed25519 key has 32 bytes');
  const bytes = new Uint8Array(MULTIHASH_PREFIX.length + 32);
  bytes.set(MULTIHASH_PREFIX, 0);
  bytes.set(raw, MULTIHASH_PREFIX.length);
  return base58Encode(bytes);
}

/** The raw 32-byte Ed25519 public key in a node id; throws {@link InvalidNodeIdError}. */
export function publicKeyFromNodeId(id: string): Uint8Array {
  const raw = tryPublicKeyFromNodeId(id);
  if (raw === undefined) throw new InvalidNodeIdError(id, 'not a libp2p Ed25519 peer id (12D3KooW…)');
  return raw;
}

/** True when `id` is a well-formed node id. */
export function isNodeId(id: string): boolean {
  return publicKeyForNodeId(id) !== undefined;
}

function tryPublicKeyFromNodeId(id: string): Uint8Array | undefined {
  if (!SHAPE.test(id)) return undefined;
  const bytes = base58Decode(id);
  if (bytes?.length !== MULTIHASH_PREFIX.length + 32) return undefined;
  for (let i = 0; i < MULTIHASH_PREFIX.length; i++) if (bytes[i] !== MULTIHASH_PREFIX[i]) return undefined;
  return bytes.subarray(MULTIHASH_PREFIX.length);
}

/** A node:crypto public key from 32 raw Ed25519 bytes. */
export function publicKeyObjectFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** The 32 raw bytes of an Ed25519 public key object. */
export function rawPublicKey(key: KeyObject): Uint8Array {
  if (key.asymmetricKeyType !== 'ed25519') throw new InvalidNodeIdError('<key>', 'not an Ed25519 key');
  const der = key.type === 'private' ? spkiOfPrivate(key) : key.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

function spkiOfPrivate(key: KeyObject): Buffer {
  return createPublicKey(key).export({ format: 'der', type: 'spki' });
}

/**
 * The public key of a node, parsed once and cached (bounded; the oldest entry goes first, and
 * an evicted key is simply parsed again). Returns `undefined` when `id` is not a node id, so
 * hostile input costs no exception.
 */
export function publicKeyForNodeId(id: string): KeyObject | undefined {
  const cached = keyCache.get(id);
  if (cached !== undefined) return cached;
  const raw = tryPublicKeyFromNodeId(id);
  if (raw === undefined) return undefined;
  let key: KeyObject;
  try {
    key = publicKeyObjectFromRaw(raw);
  } catch {
    return undefined;
  }
  if (keyCache.size >= KEY_CACHE_SIZE) {
    const oldest = keyCache.keys().next();
    if (oldest.done !== true) keyCache.delete(oldest.value);
  }
  keyCache.set(id, key);
  return key;
}
