/**
 * The HMMM advisor answers a help request only when its node's capabilities fit the task (the
 * rule agents take tasks by), with its reasoner's advice on the task's channel.
 */
import { describe, expect, it } from 'vitest';
import { ActorSystem, type MailboxMessage } from '../../src/actors/index.js';
import { advisorSpec } from '../../src/actors/hmmm.js';
import { TOPICS } from '../../src/protocol/topics.js';
import type { Reasoner } from '../../src/adapters/llm/index.js';
import { systemClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';

const KEY = 'local:demo/app#7';
/** Node ids of the advisor's node and the asker's (base58 peer ids). */
const NODE = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf';
const ASKER = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK';
const REQUEST = '01J0000000000000000000000A';
const CONTROL_REQUEST = '01J0000000000000000000000B';

function advisingReasoner(): Reasoner & { asked: number } {
  const reasoner = {
    backend: 'openai' as const,
    model: 'fake',
    asked: 0,
    next: () => {
      reasoner.asked++;
      return Promise.resolve({
        decision: { kind: 'done' as const, summary: 'Run the linter first.' },
        usage: { inputTokens: 1, outputTokens: 1 },
        model: 'fake',
      });
    },
    plan: () => Promise.resolve('1. read the docs'),
    review: () => Promise.resolve({ verdict: 'approve' as const, reason: 'fine' }),
    reconcile: () => Promise.resolve(null),
  };
  return reasoner;
}

/** A later request any advisor answers: once its answer is in, the one before was handled. */
const CONTROL = 'local:demo/app#8';

async function ask(
  capabilities: string[],
  labels: string[] | undefined,
): Promise<{ answers: unknown[]; asked: number }> {
  const system = new ActorSystem();
  const reasoner = advisingReasoner();
  const advisor = await advisorSpec({
    name: 'n1-advisor',
    node: NODE,
    reasoner,
    capabilities,
    logger: silentLogger(),
  }).start({
    path: 'advisor',
    system,
    clock: systemClock,
    logger: silentLogger(),
  });
  const answers: unknown[] = [];
  let controlAnswered!: () => void;
  const control = new Promise<void>((resolve) => (controlAnswered = resolve));
  system.register('asker', (m: MailboxMessage) => {
    if (m.type !== 'task_help_response') return;
    if ((m.data as { task?: string }).task === CONTROL) controlAnswered();
    else answers.push(m.data);
  });
  system.subscribe(TOPICS.task(KEY), 'asker');
  system.subscribe(TOPICS.task(CONTROL), 'asker');
  const request = (key: string, taskLabels: string[] | undefined) => ({
    type: 'task_help_request',
    data: {
      agent: 'n2',
      id: key === KEY ? REQUEST : CONTROL_REQUEST,
      ...(taskLabels ? { labels: taskLabels } : {}),
      node: ASKER,
      question: 'Why does CI fail?',
      task: key,
      title: 'Fix the docs',
    },
  });
  system.publish(TOPICS.hmmm, request(KEY, labels));
  // only generic labels: every advisor's capabilities fit
  system.publish(TOPICS.hmmm, request(CONTROL, ['bzzz-task']));
  await control;
  await advisor.stop();
  // the control request's question is not counted
  return { answers, asked: reasoner.asked - 1 };
}

describe('the HMMM advisor', () => {
  it('answers a task its capabilities fit, on the task channel, under its own name', async () => {
    const { answers } = await ask(['docs', 'shell'], ['bzzz-task', 'docs']);
    expect(answers).toEqual([
      { agent: 'n1-advisor', answer: 'Run the linter first.', node: NODE, request: REQUEST, task: KEY },
    ]);
  });

  it('answers anything when its node takes any task', async () => {
    expect((await ask([], ['bzzz-task', 'gpu'])).answers).toHaveLength(1);
  });

  it('stays silent, without asking its model, for a task outside its capabilities', async () => {
    const { answers, asked } = await ask(['shell'], ['bzzz-task', 'docs']);
    expect(answers).toEqual([]);
    expect(asked).toBe(0);
  });

  it('leaves a request without labels to advisors that take any task', async () => {
    expect((await ask(['shell'], undefined)).answers).toEqual([]);
    expect((await ask([], undefined)).answers).toHaveLength(1);
  });
});
