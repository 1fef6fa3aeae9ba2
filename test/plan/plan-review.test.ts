/**
 * Plans reviewed by peers (issue 16): after preparing, the agent posts its plan on the task's
 * HMMM channel; advisors whose capabilities fit answer `approve` or `suggest` within the
 * window; suggestions join the reasoner's history; no answer in time means going on alone;
 * two suggestions the agent cannot reconcile escalate. The proposal, the reviews and the
 * outcome are nodes of the task's thread.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PlanProposal, PlanReview, ThreadNode } from '../../src/protocol/index.js';
import { heardOf, startPlanRun, TASK, until, WINDOW, type PlanRun, type Reviewer } from './harness.js';

let run: PlanRun | undefined;
afterEach(async () => {
  await run?.stop();
  run = undefined;
});

/** Runs the task with these reviewers, ending the window once `answers` reviews were heard. */
async function review(reviewers: Reviewer[], answers: number) {
  run = await startPlanRun(reviewers);
  const current = run;
  await until(() => heardOf(current, 'plan_proposal').length === 1, 'the plan proposal');
  await until(() => heardOf(current, 'plan_review').length === answers, `${answers} reviews`);
  await current.clock.advance(WINDOW);
  const end = await current.done;
  return { end, run: current };
}

/** The agent's thread from its head, oldest first. */
async function thread(current: PlanRun): Promise<ThreadNode[]> {
  const agent = current.cluster.nodes[0]!.threads;
  const head = agent.head(TASK);
  expect(head).toBeDefined();
  const history = await agent.history(head as string);
  expect(history).toMatchObject({ missing: [], corrupt: [], truncated: false });
  return history.nodes.map((n) => n.node);
}

const approve = (reason: string): Reviewer => ({ verdict: 'approve', reason });
const suggest = (reason: string): Reviewer => ({ verdict: 'suggest', reason });

describe('plan review', () => {
  it('posts the plan (a scripted task’s steps), and goes on approved when every reviewer approves', async () => {
    const { end, run: current } = await review([approve('looks right'), approve('fine by me')], 2);
    expect(end.state).toBe('done');
    const [proposal] = heardOf<PlanProposal>(current, 'plan_proposal');
    expect(proposal).toMatchObject({
      agent: 'n1',
      plan: 'npm test',
      reviewMs: WINDOW,
      labels: ['bzzz-task', 'docs'],
    });
    // approvals add nothing to the reasoner's context
    expect(current.histories[0]).toEqual([]);
    const nodes = await thread(current);
    expect(nodes.map((n) => n.kind)).toEqual(['plan_proposal', 'plan_review', 'plan_review', 'plan_outcome']);
    const outcome = nodes[3]!;
    expect(outcome.body).toMatchObject({ outcome: 'approved', proposal: proposal!.id });
    expect(outcome.kind === 'plan_outcome' && outcome.body.reviews.map((r) => r.from).sort()).toEqual([
      'n2-advisor',
      'n3-advisor',
    ]);
    // the outcome merges the two concurrent reviews, each written on its reviewer's node
    const reviews = heardOf<PlanReview>(current, 'plan_review');
    expect(outcome.parents).toEqual(reviews.map((r) => r.thread).sort());
    expect(new Set(nodes.slice(1, 3).map((n) => n.from.node)).size).toBe(2);
  });

  it('takes a suggestion into the reasoner’s history', async () => {
    const { end, run: current } = await review([approve('ok'), suggest('run npm ci before the tests')], 2);
    expect(end.state).toBe('done');
    expect(current.histories[0]).toEqual([
      { kind: 'review', from: 'n3-advisor', text: 'run npm ci before the tests', plan: 'npm test' },
    ]);
    // and it stays there for every later step
    expect(current.histories[1]?.[0]).toMatchObject({ kind: 'review' });
    const nodes = await thread(current);
    expect(nodes.at(-1)?.body).toMatchObject({ outcome: 'suggestions_taken' });
  });

  it('takes several suggestions its reasoner reconciles as one', async () => {
    const same = 'run npm ci first';
    const { end, run: current } = await review([suggest(same), suggest(same)], 2);
    expect(end.state).toBe('done');
    expect(current.histories[0]).toEqual([
      {
        kind: 'review',
        from: expect.stringMatching(/^n[23]-advisor, n[23]-advisor$/) as unknown,
        text: same,
        plan: 'npm test',
      },
    ]);
  });

  it('goes on alone when no review comes in time', async () => {
    let release!: () => void;
    const late: Reviewer = { ...suggest('too late'), hold: new Promise<void>((r) => (release = r)) };
    const unfit: Reviewer = { ...suggest('not my field'), capabilities: ['gpu'] };
    run = await startPlanRun([late, unfit]);
    const current = run;
    await until(() => heardOf(current, 'plan_proposal').length === 1, 'the plan proposal');
    await current.clock.advance(WINDOW);
    expect((await current.done).state).toBe('done');
    expect(current.histories[0]).toEqual([]);
    release();
    await until(() => heardOf(current, 'plan_review').length === 1, 'the late review');
    const nodes = await thread(current);
    expect(nodes.map((n) => n.kind)).toEqual(['plan_proposal', 'plan_outcome']);
    expect(nodes[1]?.body).toMatchObject({ outcome: 'alone', reviews: [] });
  });

  it('escalates two suggestions it cannot reconcile, naming both', async () => {
    const { end, run: current } = await review(
      [suggest('rewrite it in Rust'), suggest('delete the docs')],
      2,
    );
    expect(end.state).toBe('escalated');
    expect(end.reason).toMatch(/^plan reviews cannot be reconciled: /);
    expect(end.reason).toContain('suggests "rewrite it in Rust"');
    expect(end.reason).toContain('suggests "delete the docs"');
    // no step was run
    expect(current.histories).toEqual([]);
    expect(current.reported).toEqual([
      { outcome: 'escalated', summary: expect.stringContaining('delete the docs') as unknown },
    ]);
    expect(heardOf<{ reason: string }>(current, 'escalation_trigger')).toEqual([
      expect.objectContaining({ reason: 'other', task: TASK }),
    ]);
    const nodes = await thread(current);
    expect(nodes.map((n) => n.kind)).toEqual([
      'plan_proposal',
      'plan_review',
      'plan_review',
      'plan_outcome',
      'escalation',
    ]);
    expect(nodes[3]?.body).toMatchObject({ outcome: 'escalated' });
  });

  it('with a window of 0, posts nothing and records the scripted plan as going alone', async () => {
    run = await startPlanRun([approve('unasked')], 0);
    expect((await run.done).state).toBe('done');
    expect(heardOf(run, 'plan_proposal')).toEqual([]);
    const nodes = await thread(run);
    expect(nodes.map((n) => [n.kind, n.kind === 'plan_outcome' ? n.body.outcome : undefined])).toEqual([
      ['plan_proposal', undefined],
      ['plan_outcome', 'alone'],
    ]);
  });
});
