/**
 * Plan review with a model: the plan, a verdict on a peer's plan and the reconciliation of
 * suggestions, each one plain-text call to a loopback OpenAI-compatible server (no tools
 * offered), the model's reasoning set apart, and a reply that does not answer asked again
 * with a correction. The scripted reasoner's plan is its steps; it reconciles only
 * suggestions that say the same thing, and reviews nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createReasoner, type Reasoner } from '../../src/adapters/llm/index.js';
import { readReconciled, readReview } from '../../src/adapters/llm/planning.js';
import { SimulatedClock, silentLogger } from '../../src/lib/index.js';
import { startFakeOpenAi, type FakeLlmServer } from '../fakes/openai-server.js';

const TASK = { key: 'local:demo/app#3', title: 'Fix the flaky test', body: 'npm test fails one run in ten.' };

let server: FakeLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function model(): Promise<Reasoner> {
  const clock = new SimulatedClock();
  server = await startFakeOpenAi({ clock });
  return createReasoner(
    { backend: 'openai', baseUrl: `${server.url}/v1`, model: 'fake-model', stream: false },
    { clock, logger: silentLogger() },
  );
}

interface SentMessage {
  role: string;
  content: string;
}

function sent(index: number): { messages: SentMessage[]; tools?: unknown } {
  return server!.requests[index]!.body as { messages: SentMessage[]; tools?: unknown };
}

describe('a model reviewing plans', () => {
  it('writes its plan in plain text, its reasoning set apart', async () => {
    const reasoner = await model();
    server!.enqueue({
      kind: 'text',
      text: '<think>run it many times</think>\n1. run npm test 20 times\n2. fix the race',
    });
    expect(await reasoner.plan({ task: TASK })).toBe('1. run npm test 20 times\n2. fix the race');
    const body = sent(0);
    expect(body.tools).toBeUndefined();
    expect(body.messages[0]?.content).toContain('write your plan');
    expect(body.messages[1]?.content).toContain('npm test fails one run in ten.');
    // charged to its task by the bzzz proxy
    expect(server!.requests[0]!.headers['x-bzzz-task']).toBe(TASK.key);
  });

  it('reviews a plan, and is asked again when its reply is no verdict', async () => {
    const reasoner = await model();
    server!.enqueue(
      { kind: 'text', text: 'Looks reasonable overall.' },
      { kind: 'text', text: '**SUGGEST:** run the test with --repeat 20 first' },
    );
    const verdict = await reasoner.review({ task: TASK, plan: '1. edit the test' });
    expect(verdict).toEqual({ verdict: 'suggest', reason: 'run the test with --repeat 20 first' });
    expect(sent(0).messages[1]?.content).toContain('The plan:\n1. edit the test');
    // the correction names what to answer
    expect(sent(1).messages.at(-1)?.content).toContain('APPROVE:');
    // a review is charged to the task whose plan it reads, the correction too
    expect(server!.requests.map((r) => r.headers['x-bzzz-task'])).toEqual([TASK.key, TASK.key]);
  });

  it('merges suggestions, or says they conflict', async () => {
    const reasoner = await model();
    const suggestions = [
      { from: 'n2-advisor', text: 'run npm ci first' },
      { from: 'n3-advisor', text: 'pin the seed' },
    ];
    server!.enqueue(
      { kind: 'text', text: 'MERGED: run npm ci, then pin the seed' },
      { kind: 'text', text: 'CONFLICT: one says keep, one says delete' },
    );
    expect(await reasoner.reconcile({ task: TASK, plan: 'p', suggestions })).toBe(
      'run npm ci, then pin the seed',
    );
    expect(sent(0).messages[1]?.content).toContain(
      '1. n2-advisor: run npm ci first\n2. n3-advisor: pin the seed',
    );
    expect(await reasoner.reconcile({ task: TASK, plan: 'p', suggestions })).toBeNull();
  });

  it('fails with a named error when the model never answers the question', async () => {
    const reasoner = await model();
    server!.enqueue(...Array.from({ length: 3 }, () => ({ kind: 'text' as const, text: 'hmm' })));
    await expect(reasoner.review({ task: TASK, plan: 'p' })).rejects.toMatchObject({
      name: 'ReplyParseError',
      attempts: 3,
    });
  });
});

describe('reading a verdict', () => {
  it.each([
    ['APPROVE: fine', { verdict: 'approve', reason: 'fine' }],
    ['approve - covers it', { verdict: 'approve', reason: 'covers it' }],
    ['Thoughts first.\nSUGGEST: add a test', { verdict: 'suggest', reason: 'add a test' }],
    ['<think>SUGGEST: hidden</think>APPROVE: ok', { verdict: 'approve', reason: 'ok' }],
  ])('%j', (text, expected) => {
    expect(readReview(text)).toEqual({ ok: true, value: expected });
  });

  it.each(['', 'I approve of nothing', 'SUGGEST:', '<think>APPROVE: only thought</think>'])(
    'turns down %j with a correction',
    (text) => {
      expect(readReview(text)).toMatchObject({ ok: false });
    },
  );

  it('reads a conflict as null and an empty merge as no answer', () => {
    expect(readReconciled('CONFLICT: no')).toEqual({ ok: true, value: null });
    expect(readReconciled('MERGED:')).toMatchObject({ ok: false });
  });
});

describe('the scripted reasoner and plans', () => {
  const scripted = createReasoner(
    { backend: 'scripted' },
    { clock: new SimulatedClock(), logger: silentLogger() },
  );

  it('plans its steps and reconciles only suggestions that say the same', async () => {
    const task = { ...TASK, body: '```bzzz-steps\nnpm ci\nnpm test\n```' };
    expect(await scripted.plan({ task })).toBe('npm ci\nnpm test');
    const same = [
      { from: 'a', text: 'pin the seed' },
      { from: 'b', text: ' pin the seed ' },
    ];
    expect(await scripted.reconcile({ task, plan: 'p', suggestions: same })).toBe('pin the seed');
    const different = [same[0]!, { from: 'b', text: 'delete the test' }];
    expect(await scripted.reconcile({ task, plan: 'p', suggestions: different })).toBeNull();
    await expect(scripted.review({ task, plan: 'p' })).rejects.toMatchObject({
      name: 'ReviewUnsupportedError',
    });
    await expect(scripted.plan({ task: TASK })).rejects.toMatchObject({ name: 'ScriptMissingError' });
  });
});
