import { describe, expect, it, vi } from 'vitest';
import {
  createEnvelope,
  decodeEnvelope,
  generateIdentity,
  inspectJson,
  InvalidMessageError,
  isMessageType,
  MESSAGE_TYPES,
  sealEnvelope,
  type MessageData,
  type MessageType,
} from '../../src/protocol/index.js';
import { sampleData } from './fixtures.js';

const alice = generateIdentity();
const samples = sampleData(alice.nodeId);

function reversedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversedKeys) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  ) as T;
}

describe('message types', () => {
  it('include the original system names and ours', () => {
    for (const type of [
      'task_announcement',
      'task_claim',
      'task_progress',
      'task_complete',
      'capability_broadcast',
      'availability_broadcast',
      'meta_discussion',
      'task_help_request',
      'task_help_response',
      'coordination_request',
      'coordination_complete',
      'dependency_alert',
      'escalation_trigger',
      'election_heartbeat',
      'blob_announce',
      'actor_message',
      'actor_reply',
      'dead_letter',
    ]) {
      expect(isMessageType(type), type).toBe(true);
    }
    expect(isMessageType('toString')).toBe(false);
    expect(isMessageType('__proto__')).toBe(false);
  });

  it('come out of createEnvelope in canonical order, so signing takes the fast path', () => {
    for (const type of MESSAGE_TYPES) {
      const data = reversedKeys(samples[type]) as MessageData<MessageType>;
      // a payload is the sender's own data, in whatever order it has
      if (type === 'actor_message' || type === 'topic_message')
        (data as MessageData<'actor_message'>).payload = { a: 1 };
      const unsigned = createEnvelope({ type, from: alice.nodeId, data, corr: 'c1' });
      expect(inspectJson(unsigned), type).toBe('sorted');
      expect(decodeEnvelope(sealEnvelope(unsigned, alice.privateKey).bytes, { verify: true }).ok).toBe(true);
    }
  });

  it('are checked before sending, so bzzz never sends what it would reject', () => {
    const send = (type: MessageType, data: unknown) => () =>
      createEnvelope({ type, from: alice.nodeId, data: data as MessageData<MessageType> });
    expect(send('task_claim', { ...samples.task_claim, token: -1 })).toThrow(InvalidMessageError);
    expect(send('blob_announce', { hash: 'xyz', size: 1 })).toThrow(/BLAKE3/);
    expect(send('actor_message', { ...samples.actor_message, to: 'bzzz://nobody/x' })).toThrow(
      InvalidMessageError,
    );
    expect(send('actor_message', { ...samples.actor_message, payload: { when: new Date() } })).toThrow(
      /JSON/,
    );
    expect(send('task_announcement', { ...samples.task_announcement, labels: Array(300).fill('x') })).toThrow(
      InvalidMessageError,
    );
    expect(() => createEnvelope({ type: 'task_claim', from: 'me', data: samples.task_claim })).toThrow(
      /node id/,
    );
  });

  it('refuse a sender that is no node id, even as the first one a fresh process sees', async () => {
    vi.resetModules();
    const fresh = await import('../../src/protocol/index.js');
    const data = { thread: 't', text: 'x' };
    for (const from of ['', 'nobody'])
      expect(() => fresh.createEnvelope({ type: 'meta_discussion', from, data }), from).toThrow(
        fresh.InvalidMessageError,
      );
    vi.resetModules();
    const again = await import('../../src/protocol/index.js');
    const clock = { now: () => Date.now() } as Parameters<typeof again.envelopeStamp>[2];
    expect(() => again.envelopeStamp('meta_discussion', '', clock)).toThrow(again.InvalidMessageError);
  });

  it('carry an actor reply as success or failure', () => {
    const ok = createEnvelope({
      type: 'actor_reply',
      from: alice.nodeId,
      data: { corr: 'c', ok: true, payload: [1, 2] },
    });
    const decoded = decodeEnvelope(sealEnvelope(ok, alice.privateKey).bytes, { verify: true });
    expect(decoded.ok && decoded.envelope.type === 'actor_reply' && decoded.envelope.data).toEqual({
      corr: 'c',
      ok: true,
      payload: [1, 2],
    });
  });
});
