/**
 * Sample data for every message type, and helpers to build signed wire messages, shared by
 * the protocol tests and the fuzz test.
 */
import {
  createEnvelope,
  formatAddress,
  sealEnvelope,
  type Identity,
  type MessageData,
  type MessageType,
} from '../../src/protocol/index.js';
import type { Clock } from '../../src/lib/clock.js';

/** One valid `data` per message type, from node `node`. */
export function sampleData(node: string): { [T in MessageType]: MessageData<T> } {
  const actor = formatAddress({ node, path: ['work', 'tasks', 'local:demo/app#3'] });
  const cli = formatAddress({ node, path: ['cli'] });
  const task = 'local:demo/app#3';
  return {
    task_announcement: {
      task,
      repository: 'demo/app',
      title: 'Fix the flaky test',
      body: '```bzzz-steps\nnpm test\n```',
      labels: ['bzzz-task'],
      priority: 3,
    },
    task_claim: { task, node, agent: 'agent-1', token: 7, expiresAt: '2024-01-01T00:00:10.000Z' },
    task_progress: { task, node, state: 'working', step: 2, maxSteps: 40, command: 'npm test' },
    task_complete: { task, node, outcome: 'done', branch: 'bzzz/task-3', pullRequest: 'local:demo/app!1' },
    capability_broadcast: {
      node,
      name: 'agent-1',
      capabilities: ['typescript'],
      models: ['scripted'],
      sandboxes: ['bwrap'],
      maxTasks: 3,
      version: '0.1.0',
    },
    availability_broadcast: { node, status: 'ready', load: 1, maxTasks: 3, tasks: [task] },
    meta_discussion: { thread: 'task-3', task, text: 'Has anyone seen this failure before?' },
    task_help_request: {
      task,
      node,
      id: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
      question: 'Which Node version does CI use?',
      attempts: 2,
    },
    task_help_response: { task, node, request: '01HZZZZZZZZZZZZZZZZZZZZZZZ', answer: 'Node 24' },
    coordination_request: {
      session: 's-1',
      tasks: [task, 'local:demo/app#4'],
      participants: [node],
      reason: 'shared file',
    },
    coordination_complete: { session: 's-1', outcome: 'resolved', summary: 'split the change' },
    dependency_alert: { task, kind: 'depends_on', related: ['local:demo/app#4'] },
    escalation_trigger: { task, node, reason: 'repeated_failure', detail: 'npm test exits 1 three times' },
    election_heartbeat: { node, term: 4, revision: 17, ttlMs: 10_000 },
    blob_announce: { hash: 'af'.repeat(32), size: 1024, name: 'log.txt' },
    plan_proposal: {
      task,
      node,
      agent: 'agent-1',
      id: '01HZZZZZZZZZZZZZZZZZZZZZZY',
      plan: '1. run npm test\n2. fix the flaky assertion',
      labels: ['bzzz-task'],
      reviewMs: 3000,
      thread: 'be'.repeat(32),
    },
    plan_review: {
      task,
      node,
      agent: 'agent-2-advisor',
      proposal: '01HZZZZZZZZZZZZZZZZZZZZZZY',
      verdict: 'suggest',
      reason: 'run the test three times first',
      thread: 'bf'.repeat(32),
    },
    audit_head: {
      head: {
        node,
        seq: 12,
        hash: 'be'.repeat(32),
        at: '2024-01-01T00:00:00.000Z',
        sig: `${'A'.repeat(86)}==`,
      },
      witnessed: [],
    },
    actor_message: {
      to: actor,
      type: 'task.step',
      payload: { step: 1, output: 'ok', nested: { list: [1, 'two', null, true] } },
      replyTo: cli,
      corr: 'c-1',
    },
    actor_reply: {
      corr: 'c-1',
      ok: false,
      error: { name: 'TimeoutError', message: 'no answer', retryable: true },
    },
    dead_letter: { to: actor, type: 'task.step', reason: 'unknown_actor', corr: 'c-1' },
    topic_message: { type: 'task.note', payload: { step: 2, text: 'halfway' } },
    message_batch: {
      messages: [
        { type: 'task_progress', data: { task, node, state: 'working', step: 3, command: 'npm test' } },
        { type: 'actor_message', data: { to: actor, type: 'task.note', payload: { n: 1 } } },
        { type: 'meta_discussion', data: { thread: 't-1', task, text: 'why does npm test fail?' } },
      ],
    },
  };
}

/** A signed wire message of `type` from `identity`, with its envelope. */
export function signedMessage<T extends MessageType>(
  identity: Identity,
  type: T,
  data: MessageData<T>,
  clock?: Clock,
  extra: { to?: string; corr?: string } = {},
) {
  return sealEnvelope(
    createEnvelope({ type, from: identity.nodeId, data, ...extra }, clock),
    identity.privateKey,
  );
}
