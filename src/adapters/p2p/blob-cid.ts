/**
 * CIDs of blobs. A blob's own CID is CIDv1, the `raw` codec (0x55) and a BLAKE3-256 multihash
 * (code 0x1e): the content store's hash. The DHT cannot carry it: kad-dht reads every
 * provider key as a CIDv0, which only a SHA2-256 multihash is, and refuses any other
 * ("Invalid CID"). So provider records are kept under a key derived from the blob's hash:
 * CIDv1 `raw` with the SHA2-256 of the 32 BLAKE3 bytes. It names the blob as surely (a
 * collision needs one in SHA2-256 of BLAKE3 outputs); the bytes are checked against the BLAKE3
 * hash by `putVerified` whatever the DHT said.
 *
 * multiformats comes with libp2p (kad-dht depends on it); only src/adapters/p2p imports it.
 */
import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import { create as createDigest } from 'multiformats/hashes/digest';
import { parseBlobHash } from '../cas/index.js';

/** The multihash code of BLAKE3 (multicodec table). */
export const BLAKE3_MULTIHASH = 0x1e;
/** The multihash code of SHA2-256. */
export const SHA2_256_MULTIHASH = 0x12;
/** The multicodec of raw bytes. */
export const RAW_CODEC = 0x55;

/** The blob's own CID (BLAKE3 multihash); `BadHashError` for a string that is not a hash. */
export function blobCid(hash: string): CID {
  const bytes = new Uint8Array(Buffer.from(parseBlobHash(hash), 'hex'));
  return CID.createV1(RAW_CODEC, createDigest(BLAKE3_MULTIHASH, bytes));
}

/** The key of the blob's provider records in the DHT (SHA2-256 of its BLAKE3 bytes). */
export function blobProviderKey(hash: string): CID {
  const digest = createHash('sha256')
    .update(Buffer.from(parseBlobHash(hash), 'hex'))
    .digest();
  return CID.createV1(RAW_CODEC, createDigest(SHA2_256_MULTIHASH, new Uint8Array(digest)));
}

/** The blob's CID as its usual string (base32). */
export function blobCidString(hash: string): string {
  return blobCid(hash).toString();
}
