/**
 * A blob's CID for DHT provider records: CIDv1, the `raw` codec (0x55), and a BLAKE3-256
 * multihash (code 0x1e, 32 bytes): the content store's own hash, so a provider record names
 * exactly the bytes `putVerified` accepts.
 *
 * multiformats comes with libp2p (kad-dht depends on it for its CIDs); it is not a direct
 * dependency of bzzz, which is why only this file imports it.
 */
import { CID } from 'multiformats/cid';
import { create as createDigest } from 'multiformats/hashes/digest';
import { parseBlobHash } from '../cas/index.js';

/** The multihash code of BLAKE3 (multicodec table). */
export const BLAKE3_MULTIHASH = 0x1e;
/** The multicodec of raw bytes. */
export const RAW_CODEC = 0x55;

/** The CID of a blob; `BadHashError` for a string that is not a BLAKE3-256 hex digest. */
export function blobCid(hash: string): CID {
  const bytes = Buffer.from(parseBlobHash(hash), 'hex');
  return CID.createV1(RAW_CODEC, createDigest(BLAKE3_MULTIHASH, new Uint8Array(bytes)));
}

/** The CID as its usual string (base32). */
export function blobCidString(hash: string): string {
  return blobCid(hash).toString();
}
