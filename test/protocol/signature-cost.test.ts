/**
 * How many Ed25519 verifications `decodeEnvelope` spends per message: one, except for a message
 * written non-canonically yet with its signature member in the canonical place, which may cost
 * two (the spliced bytes, then the canonical ones). A forged canonical message costs one.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

const counter = vi.hoisted(() => ({ verifications: 0 }));

vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>();
  return {
    ...crypto,
    verify: (...args: Parameters<typeof crypto.verify>) => {
      counter.verifications++;
      return crypto.verify(...args);
    },
  };
});

const { decodeEnvelope, generateIdentity } = await import('../../src/protocol/index.js');
const { sampleData, signedMessage } = await import('./fixtures.js');

const alice = generateIdentity();
const samples = sampleData(alice.nodeId);
const { envelope, bytes } = signedMessage(alice, 'task_progress', samples.task_progress);
const text = bytes.toString('utf8');

function cost(input: string | Uint8Array): [string, number] {
  counter.verifications = 0;
  const result = decodeEnvelope(input, { verify: true });
  return [result.ok ? 'ok' : result.reason, counter.verifications];
}

describe('verifications per message', () => {
  beforeEach(() => {
    counter.verifications = 0;
  });

  it('one for a canonical message, genuine or forged', () => {
    expect(cost(bytes)).toEqual(['ok', 1]);
    expect(cost(text)).toEqual(['ok', 1]);
    expect(cost(text.replace('"step":2', '"step":3'))).toEqual(['bad_signature', 1]);
    expect(cost(text.replace(`"sig":"${envelope.sig}"`, `"sig":"${'A'.repeat(86)}=="`))).toEqual([
      'bad_signature',
      1,
    ]);
  });

  it('one when the signature member is not where the canonical form has it', () => {
    expect(cost(JSON.stringify(envelope, null, 2))).toEqual(['ok', 1]);
    expect(cost(JSON.stringify(Object.fromEntries(Object.entries(envelope).reverse())))).toEqual(['ok', 1]);
    expect(cost(JSON.stringify({ ...envelope, hop_count: 1 }, null, 1))).toEqual(['bad_signature', 1]);
  });

  it('at most two for a non-canonical message with the member in the canonical place', () => {
    expect(cost(text.replace('"step":2', '"step":2.0'))).toEqual(['ok', 2]);
    expect(cost(text.replace('"step":2', '"step":3.0'))).toEqual(['bad_signature', 2]);
  });

  it('none for a message refused before the signature', () => {
    expect(cost(text.replace('"sig":', '"sog":'))).toEqual(['schema', 0]);
    expect(cost(text.replace(`"sig":"${envelope.sig}"`, '"sig":""'))).toEqual(['bad_signature', 0]);
  });
});
