/**
 * An agent asked for help sees the thread's history from its head: the advisor reads the
 * thread from the hash the request carries (from another node's store, fetched as the
 * replicator would, or, when it cannot, says what it could not read), puts it in its model's
 * prompt, and records its answer as the next node, whose hash the answer carries.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem, type MailboxMessage } from '../../src/actors/index.js';
import { advisorSpec } from '../../src/actors/hmmm.js';
import type { NextStepInput, Reasoner } from '../../src/adapters/llm/index.js';
import { SimulatedClock } from '../../src/lib/clock.js';
import { silentLogger } from '../../src/lib/log.js';
import type { TaskHelpResponse } from '../../src/protocol/index.js';
import { TOPICS } from '../../src/protocol/topics.js';
import { NODES, threadCluster, type ThreadCluster } from './support.js';

const TASK = 'local:demo/app#9';
const REQUEST = '01J0000000000000000000000C';
const PROPOSAL = '01J0000000000000000000000D';
const asker = { agent: 'n1', node: NODES[0] };

/** A model that records every prompt it is given. */
function recordingReasoner(): Reasoner & { prompts: string[] } {
  const prompts: string[] = [];
  return {
    backend: 'openai',
    model: 'fake',
    prompts,
    next: (input: NextStepInput) => {
      prompts.push(input.task.body);
      return Promise.resolve({
        decision: { kind: 'done', summary: 'Pin Node 24 in .nvmrc.' },
        usage: { inputTokens: 1, outputTokens: 1 },
        model: 'fake',
      });
    },
    plan: () => Promise.reject(new Error('not asked')),
    review: () => Promise.reject(new Error('not asked')),
    reconcile: () => Promise.reject(new Error('not asked')),
  };
}

let cluster: ThreadCluster | undefined;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await cluster?.close();
  cluster = undefined;
});

/** The asker's thread (a plan, then a help request) and the advisor's answer to that request. */
async function askAdvisor(link: boolean) {
  const clock = new SimulatedClock();
  cluster = await threadCluster(2, clock, link);
  const [mine, theirs] = cluster.nodes;
  await mine!.threads.append(
    TASK,
    'plan_proposal',
    { plan: '1. read package.json', proposal: PROPOSAL },
    asker,
  );
  await clock.advance(1_000);
  const head = await mine!.threads.append(
    TASK,
    'help_request',
    { question: 'Which Node version does CI use?', request: REQUEST },
    asker,
  );
  const system = new ActorSystem({}, { clock });
  const reasoner = recordingReasoner();
  const advisor = await advisorSpec({
    name: 'n2-advisor',
    node: NODES[1],
    reasoner,
    capabilities: [],
    threads: theirs!.threads,
    logger: silentLogger(),
  }).start({ path: 'advisor', system, clock, logger: silentLogger() });
  stops.push(() => advisor.stop());
  const answered = new Promise<TaskHelpResponse>((resolve) => {
    system.register('asker', (m: MailboxMessage) => {
      if (m.type === 'task_help_response') resolve(m.data as TaskHelpResponse);
    });
  });
  system.subscribe(TOPICS.task(TASK), 'asker');
  system.publish(TOPICS.hmmm, {
    type: 'task_help_request',
    data: { ...asker, id: REQUEST, question: 'Which Node version does CI use?', task: TASK, thread: head },
  });
  return { answer: await answered, head, prompt: reasoner.prompts[0] ?? '', mine: mine!, theirs: theirs! };
}

describe('the advisor and the task thread', () => {
  it('reads the thread from the request’s head into its prompt and answers as the next node', async () => {
    const { answer, head, prompt, mine, theirs } = await askAdvisor(true);
    // the earlier nodes, oldest first, then the question
    expect(prompt).toContain('Another agent asks: Which Node version does CI use?');
    expect(prompt).toMatch(
      /n1 proposed a plan:\n1\. read package\.json[\s\S]*n1 asked for help: Which Node version/,
    );
    expect(prompt).not.toContain('could not be read');
    expect(theirs.fetched).toHaveLength(2);

    expect(answer).toMatchObject({ agent: 'n2-advisor', answer: 'Pin Node 24 in .nvmrc.', request: REQUEST });
    expect(answer.thread).toMatch(/^[0-9a-f]{64}$/);
    const history = await theirs.threads.history(answer.thread as string);
    expect(history.nodes.map((n) => n.node.kind)).toEqual(['plan_proposal', 'help_request', 'help_response']);
    expect(history.nodes[2]?.node.parents).toEqual([head]);

    // the asker's thread takes the answer in: its head is the answer's node
    await mine.threads.adopt(TASK, answer.thread as string);
    expect(mine.threads.heads(TASK)).toEqual([answer.thread]);
  });

  it('says in its prompt what it could not read when the thread’s blobs are not here yet', async () => {
    const { answer, head, prompt } = await askAdvisor(false);
    expect(prompt).toContain('Another agent asks: Which Node version does CI use?');
    expect(prompt).toContain('1 node could not be read: 1 not held here, 0 corrupt');
    expect(prompt).not.toContain('read package.json');
    // it still answers, and its node names the request as its parent
    expect(answer.answer).toBe('Pin Node 24 in .nvmrc.');
    expect(answer.thread).toMatch(/^[0-9a-f]{64}$/);
    expect(head).toMatch(/^[0-9a-f]{64}$/);
  });
});
