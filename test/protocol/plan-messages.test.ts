/**
 * The plan review messages (`plan_proposal`, `plan_review`) and the thread hash that help
 * messages may carry: valid ones cross the wire signed, malformed ones are refused before
 * sending and dropped on receipt with a reason, never trusted.
 */
import { describe, expect, it } from 'vitest';
import {
  createEnvelope,
  decodeEnvelope,
  generateIdentity,
  InvalidMessageError,
  planProposalSchema,
  planReviewSchema,
  sealEnvelope,
  taskHelpRequestSchema,
  taskHelpResponseSchema,
  type MessageData,
  type MessageType,
} from '../../src/protocol/index.js';
import { sampleData } from './fixtures.js';

const alice = generateIdentity();
const samples = sampleData(alice.nodeId);

const proposals: [string, unknown][] = [
  ['no plan', { ...samples.plan_proposal, plan: '' }],
  ['an id that is no ULID', { ...samples.plan_proposal, id: 'p-1' }],
  ['a negative window', { ...samples.plan_proposal, reviewMs: -1 }],
  ['a thread that is no hash', { ...samples.plan_proposal, thread: 'HEAD' }],
  ['a plan past the text limit', { ...samples.plan_proposal, plan: 'x'.repeat(16 * 1024 + 1) }],
  ['no task key', { ...samples.plan_proposal, task: 'demo#1' }],
  ['a sender that is no node id', { ...samples.plan_proposal, node: 'alice' }],
];

const reviews: [string, unknown][] = [
  ['an unknown verdict', { ...samples.plan_review, verdict: 'reject' }],
  ['no verdict', { ...samples.plan_review, verdict: undefined }],
  ['no proposal', { ...samples.plan_review, proposal: undefined }],
  ['a thread that is no hash', { ...samples.plan_review, thread: 'ab'.repeat(31) }],
  ['a reason that is no text', { ...samples.plan_review, reason: 42 }],
];

function wire(type: MessageType, data: unknown) {
  const envelope = {
    ...createEnvelope({ type: 'meta_discussion', from: alice.nodeId, data: samples.meta_discussion }),
  };
  // a hostile peer signs whatever it likes: the receiver's schema is what refuses it
  return sealEnvelope({ ...envelope, type, data } as typeof envelope, alice.privateKey).bytes;
}

describe('plan review messages', () => {
  it('cross the wire signed, with their thread hash', () => {
    for (const type of ['plan_proposal', 'plan_review'] as const) {
      const decoded = decodeEnvelope(wire(type, samples[type]), { verify: true });
      expect(decoded.ok && decoded.envelope.data).toEqual(samples[type]);
    }
  });

  it.each(proposals)('refuse a plan_proposal with %s', (_, data) => {
    expect(planProposalSchema.safeParse(data).success).toBe(false);
    expect(() =>
      createEnvelope({
        type: 'plan_proposal',
        from: alice.nodeId,
        data: data as MessageData<'plan_proposal'>,
      }),
    ).toThrow(InvalidMessageError);
    expect(decodeEnvelope(wire('plan_proposal', data), { verify: true })).toMatchObject({ ok: false });
  });

  it.each(reviews)('refuse a plan_review with %s', (_, data) => {
    expect(planReviewSchema.safeParse(data).success).toBe(false);
    expect(decodeEnvelope(wire('plan_review', data), { verify: true })).toMatchObject({ ok: false });
  });

  it('let help messages carry a thread hash, and refuse one that is none', () => {
    const head = 'cd'.repeat(32);
    expect(taskHelpRequestSchema.parse({ ...samples.task_help_request, thread: head }).thread).toBe(head);
    expect(taskHelpResponseSchema.parse({ ...samples.task_help_response, thread: head }).thread).toBe(head);
    // older nodes send none
    expect(taskHelpRequestSchema.safeParse(samples.task_help_request).success).toBe(true);
    expect(taskHelpRequestSchema.safeParse({ ...samples.task_help_request, thread: 'HEAD' }).success).toBe(
      false,
    );
    expect(
      taskHelpResponseSchema.safeParse({ ...samples.task_help_response, thread: head.toUpperCase() }).success,
    ).toBe(false);
  });
});
