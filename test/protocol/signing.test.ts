import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createEnvelope,
  decodeEnvelope,
  encodeEnvelopeBytes,
  generateIdentity,
  type JsonValue,
  MESSAGE_TYPES,
  publicKeyForNodeId,
  sealEnvelope,
  signEnvelope,
  verifyEnvelope,
} from '../../src/protocol/index.js';
import { sampleData, signedMessage } from './fixtures.js';

const alice = generateIdentity();
const bob = generateIdentity();

describe('signatures', () => {
  it('verify for every message type, after a trip through the wire', () => {
    const samples = sampleData(alice.nodeId);
    for (const type of MESSAGE_TYPES) {
      const { envelope, bytes } = signedMessage(alice, type, samples[type]);
      expect(verifyEnvelope(envelope, publicKeyForNodeId(alice.nodeId))).toBe(true);
      const decoded = decodeEnvelope(bytes, { verify: true, self: bob.nodeId });
      expect(decoded).toEqual({ ok: true, envelope });
    }
  });

  it('sealEnvelope writes what signEnvelope and encodeEnvelopeBytes write', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }),
          fc.constant({ trap: ',"id":"01HZZZZZZZZZZZZZZZZZZZZZZZ","timestamp":' }),
        ),
        fc.option(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/), { nil: undefined }),
        (payload, corr) => {
          const unsigned = createEnvelope({
            type: 'actor_reply',
            from: alice.nodeId,
            data: { corr: 'c', ok: true, payload: payload as JsonValue },
            ...(corr === undefined ? {} : { corr }),
          });
          const sealed = sealEnvelope(unsigned, alice.privateKey);
          const signed = signEnvelope(unsigned, alice.privateKey);
          expect(sealed.envelope).toEqual(signed);
          expect(sealed.bytes.toString()).toBe(encodeEnvelopeBytes(signed).toString());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('fail on any changed byte of the wire message', () => {
    const { bytes } = signedMessage(alice, 'task_claim', sampleData(alice.nodeId).task_claim);
    expect(decodeEnvelope(bytes, { verify: true }).ok).toBe(true);
    for (let i = 0; i < bytes.length; i++) {
      for (const flip of [0x01, 0x20]) {
        const mutated = Buffer.from(bytes);
        mutated[i] = (mutated[i] ?? 0) ^ flip;
        const result = decodeEnvelope(mutated, { verify: true });
        expect(result.ok, `byte ${i} ^ ${flip}: ${mutated.toString()}`).toBe(false);
      }
    }
  });

  it('fail when the message names another sender than the signer', () => {
    const unsigned = createEnvelope({
      type: 'meta_discussion',
      from: bob.nodeId,
      data: { thread: 't', text: 'hi' },
    });
    const forged = sealEnvelope(unsigned, alice.privateKey);
    expect(verifyEnvelope(forged.envelope, publicKeyForNodeId(bob.nodeId))).toBe(false);
    expect(decodeEnvelope(forged.bytes, { verify: true })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('cover members a newer peer adds to data, so they cannot be stripped or altered', () => {
    const unsigned = createEnvelope({
      type: 'blob_announce',
      from: alice.nodeId,
      data: { hash: 'ab'.repeat(32), size: 1 },
    });
    const withExtra = { ...unsigned, data: { ...unsigned.data, zeta: 'new field' } };
    const { bytes } = sealEnvelope(withExtra, alice.privateKey);
    const accepted = decodeEnvelope(bytes, { verify: true });
    expect(accepted.ok && accepted.envelope.data).toEqual({ hash: 'ab'.repeat(32), size: 1 });
    const altered = Buffer.from(bytes.toString().replace('new field', 'old field'));
    expect(decodeEnvelope(altered, { verify: true })).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('verify over the canonical form, whatever order a sender wrote the members in', () => {
    const { envelope } = signedMessage(
      alice,
      'availability_broadcast',
      sampleData(alice.nodeId).availability_broadcast,
    );
    const reordered = JSON.stringify(
      Object.fromEntries(
        Object.entries(envelope)
          .reverse()
          .map(([k, v]) => [
            k,
            typeof v === 'object' ? Object.fromEntries(Object.entries(v as object).reverse()) : v,
          ]),
      ),
      null,
      2,
    );
    expect(reordered).not.toBe(encodeEnvelopeBytes(envelope).toString());
    expect(decodeEnvelope(reordered, { verify: true }).ok).toBe(true);
  });

  it('verifyEnvelope never throws, whatever it is given', () => {
    const key = publicKeyForNodeId(alice.nodeId);
    expect(verifyEnvelope({ sig: '' }, key)).toBe(false);
    expect(verifyEnvelope({ sig: 'AAAA' }, key)).toBe(false);
    expect(verifyEnvelope({ sig: 'A'.repeat(86) + '==', data: Number.NaN }, key)).toBe(false);
    expect(verifyEnvelope({ sig: 'A'.repeat(86) + '==' }, undefined)).toBe(false);
  });
});
