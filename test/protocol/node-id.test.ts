import { generateKeyPair, privateKeyFromRaw, publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey, peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base58Decode, base58Encode } from '../../src/protocol/base58.js';
import {
  generateIdentity,
  InvalidNodeIdError,
  isNodeId,
  libp2pRawPrivateKey,
  nodeIdFromPublicKey,
  publicKeyForNodeId,
  publicKeyFromNodeId,
  rawPublicKey,
} from '../../src/protocol/index.js';

describe('node ids', () => {
  it('are the libp2p peer id of the same Ed25519 key, both ways', async () => {
    for (let i = 0; i < 5; i++) {
      const key = await generateKeyPair('Ed25519');
      const libp2pId = peerIdFromPublicKey(key.publicKey).toString();
      expect(nodeIdFromPublicKey(key.publicKey.raw)).toBe(libp2pId);
      expect(libp2pId.startsWith('12D3KooW')).toBe(true);
      expect(Buffer.from(publicKeyFromNodeId(libp2pId))).toEqual(Buffer.from(key.publicKey.raw));
    }
  });

  it('of a node identity parse as libp2p peer ids carrying the same key', () => {
    const identity = generateIdentity();
    const peer = peerIdFromString(identity.nodeId);
    expect(peer.type).toBe('Ed25519');
    expect(Buffer.from(peer.publicKey!.raw)).toEqual(Buffer.from(rawPublicKey(identity.publicKey)));
    expect(peerIdFromPublicKey(publicKeyFromRaw(rawPublicKey(identity.publicKey))).toString()).toBe(
      identity.nodeId,
    );
  });

  it('give libp2p the same identity through the raw private key', () => {
    const identity = generateIdentity();
    const key = privateKeyFromRaw(libp2pRawPrivateKey(identity));
    expect(peerIdFromPrivateKey(key).toString()).toBe(identity.nodeId);
  });

  it('reject strings that are not Ed25519 peer ids', () => {
    const good = generateIdentity().nodeId;
    const bad = [
      '',
      'hello',
      good.slice(0, -1),
      `${good}1`,
      good.replace('KooW', 'K00W'),
      'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', // an RSA-style (sha256) peer id
      `${good.slice(0, -1)}0`, // not in the base58 alphabet
    ];
    for (const id of bad) {
      expect(isNodeId(id)).toBe(false);
      expect(publicKeyForNodeId(id)).toBeUndefined();
      expect(() => publicKeyFromNodeId(id)).toThrow(InvalidNodeIdError);
    }
    expect(isNodeId(good)).toBe(true);
  });

  it('reject a key of the wrong length', () => {
    expect(() => nodeIdFromPublicKey(new Uint8Array(31))).toThrow(InvalidNodeIdError);
  });

  it('map to one cached key object per id', () => {
    const { nodeId } = generateIdentity();
    expect(publicKeyForNodeId(nodeId)).toBe(publicKeyForNodeId(nodeId));
  });
});

describe('base58btc', () => {
  it('round-trips any bytes, leading zeros included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(Buffer.from(base58Decode(base58Encode(bytes))!)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('matches known vectors', () => {
    expect(base58Encode(Buffer.from('Hello World!'))).toBe('2NEpo7TZRRrLZSi2U');
    expect(base58Encode(Uint8Array.from([0, 0, 1]))).toBe('112');
    expect(base58Decode('0OIl')).toBeUndefined();
  });
});
